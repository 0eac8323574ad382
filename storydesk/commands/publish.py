from __future__ import annotations

import click

from config.errors import ExitCode, Outcome, exit_code
from platforms import registry
from storydesk.context import AppContext
from storydesk.params import COUNT


@click.command(name="publish")
@click.option(
    "--dry-run", is_flag=True, help="Print exactly what would be posted where; change nothing."
)
@click.option(
    "--target",
    type=click.Choice(registry.names("publish")),
    help="Only this target.",
)
@click.option("--limit", type=COUNT, help="At most this many publications.")
@click.pass_obj
def command(app: AppContext, dry_run: bool, target: str | None, limit: int | None) -> int:
    """Reshare what is approved and due, exactly once per testimony and target; take down
    what was withdrawn; rebuild the gallery when it changed. Consent and scope are checked
    again at this moment. Exit 78 if a credential or setting must be fixed, 1 if something
    else failed, 75 if only rate limits stopped it."""
    from publisher.outbox import publish_due

    summary = publish_due(app.sessions(), app.campaign(), app.clock, target, limit, dry_run)
    if dry_run:
        for line in summary.planned or ["nothing is due"]:
            click.echo(line)
        return ExitCode.OK
    for name, c in sorted(summary.targets.items()):
        click.echo(
            f"{name}: {c.published} published, {c.taken_down} taken down, "
            f"{c.skipped} skipped, {c.failed} failed, {c.waiting} waiting"
        )
    if not summary.targets:
        click.echo("nothing was due")
    if summary.gallery:
        click.echo(f"gallery rebuilt: {summary.gallery}/index.html")
    for error in summary.errors:
        click.echo(f"storydesk: {error}", err=True)
    return exit_code(
        outcome
        for c in summary.targets.values()
        for outcome, n in (
            (Outcome.BAD_CONFIG, c.misconfigured),
            (Outcome.FAILED, c.failed),
            (Outcome.TRY_LATER, c.waiting),
        )
        if n
    )
