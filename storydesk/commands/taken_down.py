from __future__ import annotations

import click

from storydesk.commands.decide import reviewer
from storydesk.context import AppContext
from storydesk.params import ROW_ID


@click.command(name="taken-down")
@click.argument("publication_id", metavar="PUBLICATION_ID", type=ROW_ID)
@click.option("--note", help="What was done, kept in the audit trail.")
@click.option("--as", "as_name", metavar="NAME", help="Who took it down (default: $USER).")
@click.pass_obj
def command(app: AppContext, publication_id: int, note: str | None, as_name: str | None) -> None:
    """Record that a person took a reshare down by hand: TikTok has no delete API, so after
    consent is withdrawn someone deletes the video in the TikTok app, then runs this with the
    publication id that `publish` names. Only for a reshare whose takedown was asked for."""
    from publisher.manual import record_taken_down

    message = record_taken_down(
        app.sessions(), app.campaign_id(), publication_id, reviewer(as_name), app.clock.now(), note
    )
    click.echo(message)
