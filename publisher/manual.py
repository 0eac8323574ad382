"""What a person did by hand on a platform, recorded so the publisher stops asking.

TikTok has no delete API: when consent is withdrawn, someone deletes the video in the
TikTok app and records it with `storydesk taken-down ID`; until then every publish cycle
reports the reshare as still up (exit 1). Any reshare whose takedown was asked for can be
recorded this way, for a platform whose API refuses for days.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.errors import WorkFailed
from db.models import Publication
from db.outbox import of_campaign
from db.session import transaction
from platforms import registry
from publisher.recovery import mark_taken_down


def by_hand() -> frozenset[str]:
    """Targets whose API cannot delete a post (the registry's publish without delete: TikTok's
    Content Posting API has publish and status endpoints, none to delete a video): a person
    deletes it in the app and records it."""
    return frozenset(
        p.name for p in registry.all_platforms() if p.can("publish") and not p.can("delete")
    )


def record_taken_down(
    sessions: sessionmaker[Session],
    campaign_id: str,
    publication_id: int,
    by: str,
    now: datetime,
    note: str | None,
) -> str:
    """Mark a reshare of campaign `campaign_id` taken down by `by`, with an audit entry; the
    message to print. Another campaign's reshare is no such publication: marking it down
    would tell that campaign's publisher it is gone while it may still be up."""
    with transaction(sessions) as session:
        row = session.scalar(
            select(Publication).where(Publication.id == publication_id, of_campaign(campaign_id))
        )
        if row is None:
            raise WorkFailed(f"publication {publication_id}: no such publication")
        if row.taken_down_at is not None:
            return (
                f"publication {publication_id}: already taken down on {row.taken_down_at:%Y-%m-%d}"
            )
        if row.takedown_requested_at is None:
            raise WorkFailed(
                f"publication {publication_id} ({row.target}): no takedown was asked for "
                "(consent is not withdrawn and the original is not gone); nothing recorded"
            )
        if row.target == "gallery":  # it is down when the gallery without it is in place
            raise WorkFailed(
                f"publication {publication_id} is a gallery card: run `storydesk gallery`, "
                "which removes it and records the takedown; nothing recorded"
            )
        mark_taken_down(session, row, now, by, by_hand=True, note=note)
        return f"publication {publication_id}: recorded as taken down from {row.target} by {by}"
