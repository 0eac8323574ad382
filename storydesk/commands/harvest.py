from __future__ import annotations

import sys

import click

from platforms import registry
from storydesk.context import AppContext


@click.command(name="harvest")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    type=click.Choice(registry.names("harvest")),
    help="Only this platform (repeatable). Default: every enabled platform.",
)
@click.pass_obj
def command(app: AppContext, platforms: tuple[str, ...]) -> int:
    """Collect the campaign's new posts from each platform once, then match them to consent
    forms. Exit 0; 1 if a platform failed (the others still ran); 75 if every failure was
    "try later" (rate limit, quota)."""
    from storydesk.workflows import harvest_and_match, print_harvest

    loaded = app.campaign()
    summaries = harvest_and_match(
        app, loaded, list(platforms) or None, progress_bar=sys.stderr.isatty()
    )
    return print_harvest(summaries)
