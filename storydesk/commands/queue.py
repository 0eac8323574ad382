from __future__ import annotations

import json
import sys

import click

from db.states import ConsentState, ReviewState
from storydesk.context import AppContext
from storydesk.params import COUNT, PlatformChoice


@click.command(name="queue")
@click.option(
    "--status",
    default=ReviewState.PENDING.value,
    show_default=True,
    type=click.Choice([*(s.value for s in ReviewState), "all"]),
    help="Review state to list.",
)
@click.option(
    "--platform",
    type=PlatformChoice("harvest"),
    help="Only testimonies with a copy on this platform.",
)
@click.option(
    "--consent",
    type=click.Choice([s.value for s in ConsentState]),
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
    from review.queue import list_queue, queue_total

    with app.sessions()() as session:  # a database problem is said first, as elsewhere
        campaign_id = app.campaign_id()
        items = list_queue(
            session, status, platform, consent, limit or None, campaign_id=campaign_id
        )
        total = (
            queue_total(session, status, platform, consent, campaign_id=campaign_id)
            if not as_json and limit and len(items) >= limit
            else str(len(items))
        )
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False))
        return
    from publisher.common import first_name_of
    from storydesk.tables import print_table

    rows = [
        {
            "id": i["id"],
            "platforms": "+".join(i["platforms"]),
            "author": i["author"],
            # who the form says it is: the reviewer checks it against the video
            "name": ", ".join(x for x in (first_name_of(i["first_name"]), str(i["age"] or "")) if x)
            or None,
            "role": i["role"],
            "place": ", ".join(x for x in (i["city"], i["country"]) if x) or None,
            "secs": f"{i['duration_seconds']:.0f}" if i["duration_seconds"] else None,
            "consent": i["consent"],
            "problems": "; ".join(i["problems"]) or None,
            "excerpt": (i["text"] or "").replace("\n", " "),
        }
        for i in items
    ]
    columns = [
        "id", "platforms", "name", "author", "role", "place", "secs", "consent", "problems",
        "excerpt",
    ]  # fmt: skip
    print_table(
        columns,
        rows,
        title=f"Review queue ({status})",
        empty=f"No {status} testimonies.",
        one_line="excerpt",
    )
    if total != str(len(items)):
        # on stderr when piped: the rows on stdout stay rows
        click.echo(
            f"{len(items)} of {total} shown; --limit to see more",
            err=not sys.stdout.isatty(),
        )
