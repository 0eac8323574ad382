from __future__ import annotations

import click

from storydesk.context import AppContext


@click.command(name="match")
@click.pass_obj
def command(app: AppContext) -> None:
    """Match every post to the consent forms again (harvest and import do this already);
    prints how many testimonies are in each consent state."""
    from consent.matching import match_all

    summary = match_all(app.sessions(), app.campaign(), app.clock)
    click.echo(
        "consent: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items()))
        + f" ({summary.changed} changed)"
    )
    if summary.joined or summary.split:
        # copies one form names on both sides joined; copies of another form taken apart
        click.echo(
            f"links: {summary.joined} suggested link(s) joined (one form names both "
            f"accounts), {summary.split} testimony(ies) split (copies of another form)"
        )
    if summary.reopened:
        click.echo(
            f"review: {summary.reopened} approved testimony(ies) back in the queue: they now "
            "rely on another consent form (what went out on the old one comes down)"
        )
