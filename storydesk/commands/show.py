from __future__ import annotations

import json

import click

from storydesk.context import AppContext
from storydesk.params import ROW_ID


@click.command(name="show")
@click.argument("testimony_id", metavar="ID", type=ROW_ID)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def command(app: AppContext, testimony_id: int, as_json: bool) -> None:
    """Everything about one testimony: its text, every platform copy, the rule results, the
    consent state with its evidence and the form, decisions and publications."""
    from review.card import card_lines, testimony_card

    with app.sessions()() as session:
        card = testimony_card(session, testimony_id, app.campaign())
    if as_json:
        click.echo(json.dumps(card, ensure_ascii=False, default=str))
        return
    for line in card_lines(card):
        click.echo(line)
