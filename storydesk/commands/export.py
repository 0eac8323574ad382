from __future__ import annotations

from pathlib import Path

import click

from storydesk.context import AppContext


@click.command(name="export")
@click.option(
    "--format",
    "fmt",
    default="csv",
    show_default=True,
    type=click.Choice(["csv", "json"]),
    help="CSV for spreadsheets (no cell can start a formula), or JSON.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (default: stdout).",
)
@click.pass_obj
def command(app: AppContext, fmt: str, out: Path | None) -> None:
    """The campaign report: every testimony of this campaign with its platforms, place, role, consent and
    review states and publications."""
    from review.report import render, report_rows

    with app.sessions()() as session:  # a database problem is said first, as elsewhere
        text = render(report_rows(session, app.campaign_id()), fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    from storydesk.private_file import write_private

    write_private(out, text)  # owner-only, never half-written, never through a symlink
    click.echo(f"wrote {out}", err=True)
