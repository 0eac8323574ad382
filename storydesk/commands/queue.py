from __future__ import annotations

import json

import click

from storydesk.context import AppContext
from storydesk.params import COUNT


@click.command(name="queue")
@click.option(
    "--status",
    default="pending",
    show_default=True,
    type=click.Choice(["pending", "approved", "rejected", "held", "all"]),
    help="Review state to list.",
)
@click.option(
    "--platform",
    type=click.Choice(["x", "youtube", "instagram", "facebook"]),
    help="Only testimonies with a copy on this platform.",
)
@click.option(
    "--consent",
    type=click.Choice(["none", "matched", "needs-check", "guardian-required", "revoked"]),
    help="Only this consent state.",
)
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=COUNT,
    help="At most this many (0: all).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@click.pass_obj
def command(
    app: AppContext,
    status: str,
    platform: str | None,
    consent: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The review queue: testimonies most ready to approve first (consent matched and no
    rule problems, then those whose consent needs a check, then the rest). A testimony
    posted on several platforms is one row."""
    from review.queue import list_queue

    with app.sessions()() as session:
        items = list_queue(session, status, platform, consent, limit or None)
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False))
        return
    from storydesk.tables import print_table

    rows = [
        {
            "id": i["id"],
            "platforms": "+".join(i["platforms"]),
            "author": i["author"],
            "role": i["role"],
            "place": ", ".join(x for x in (i["city"], i["country"]) if x) or None,
            "secs": f"{i['duration_seconds']:.0f}" if i["duration_seconds"] else None,
            "consent": i["consent"],
            "problems": "; ".join(i["problems"]) or None,
            "excerpt": (i["text"] or "")[:60],
        }
        for i in items
    ]
    print_table(
        ["id", "platforms", "author", "role", "place", "secs", "consent", "problems", "excerpt"],
        rows,
        title=f"Review queue ({status})",
        empty=f"No {status} testimonies.",
    )
