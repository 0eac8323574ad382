"""`storydesk ask`: ask posters to sign the consent form, on a staff command only."""

from __future__ import annotations

import json

import click

from config.errors import ExitCode
from storydesk.commands.decide import reviewer
from storydesk.context import AppContext
from storydesk.params import ROW_ID


@click.command(name="ask")
@click.argument("ids", nargs=-1, required=True, type=ROW_ID, metavar="ID...")
@click.option(
    "--via",
    type=click.Choice(["reply", "message"]),
    help="reply: only where storydesk can answer the post as the campaign account; "
    "message: print the text for you to send by hand. Default: reply where possible.",
)
@click.option("--again", is_flag=True, help="Remind people already asked (same form link).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
@click.option("--as", "as_name", metavar="NAME", help="Who asks (default: $USER).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def command(
    app: AppContext,
    ids: tuple[int, ...],
    via: str | None,
    again: bool,
    dry_run: bool,
    as_name: str | None,
    as_json: bool,
) -> int:
    """Ask the people behind these testimonies to sign the consent form.

    Each request carries the form's address with a code of its own ([consent.request] in
    the campaign file); a form that comes back with it is matched by the code. Where the
    campaign account may answer the post (an X post that tags it) storydesk replies; a
    crash never sends a request twice. Elsewhere it prints the message and the link for you
    to send by hand, and records that you were given it. One request per person per
    campaign (--again sends a reminder), at most consent.request.per_hour in any hour: the
    rest exit 75, to be asked later. storydesk never asks by itself.
    """
    from consent.requests import ask

    summary = ask(
        app.sessions(),
        app.campaign(),
        app.clock,
        list(ids),
        reviewer(as_name),
        via=via,
        again=again,
        dry_run=dry_run,
    )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "reconciled": summary.reconciled,
                    "asked": [vars(a) for a in summary.asked],
                    "retry_at": summary.retry_at.isoformat() if summary.retry_at else None,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for line in summary.reconciled:
            click.echo(line)
        for a in summary.asked:
            head = f"testimony {a.testimony_id}: "
            if a.outcome in ("replied", "would-reply"):
                verb = "replied" if a.outcome == "replied" else "would reply"
                click.echo(head + f"{verb} under {a.url} ({a.detail or 'dry run'})")
                click.echo(f"  {a.text}")
            elif a.outcome in ("message", "would-message"):
                click.echo(
                    head
                    + ("send this by hand" if a.outcome == "message" else "would print")
                    + f" to the poster of {a.url} ({a.detail}):"
                )
                click.echo(f"  {a.text}")
            elif a.outcome == "skipped":
                click.echo(head + f"not asked: {a.detail}")
            elif a.outcome == "later":
                click.echo(f"storydesk: {head}not asked yet: {a.detail}", err=True)
            else:
                click.echo(f"storydesk: {head}{a.detail}", err=True)
    if summary.count("failed"):
        return ExitCode.FAILED
    if summary.count("later"):
        return ExitCode.TRY_LATER
    return ExitCode.OK
