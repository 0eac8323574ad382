"""Writing to the outbox: what review and consent ask of the publisher.

Approving queues one publication per allowed target; withdrawing consent (or a deleted
source) asks for every done publication of a testimony to be taken down. The publisher
(publisher/) claims and settles these rows; nothing here calls a platform.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from db import audit
from db.models import Publication, Testimony
from db.states import LIVE_PUBLICATION, SETTLED_PUBLICATION, PublicationState


def of_campaign(campaign_id: str) -> ColumnElement[bool]:
    """The publications of `campaign_id`'s testimonies. A campaign's publisher, gallery and
    recovery work on these only: several campaigns may share a database, and a form is
    signed for one campaign, so another campaign's accounts and gallery never carry it."""
    return Publication.testimony_id.in_(
        select(Testimony.id).where(Testimony.campaign_id == campaign_id)
    )


def queue_publications(
    session: Session, testimony_id: int, targets: Iterable[str], now: datetime, actor: str
) -> list[Publication]:
    """One queued publication per target not already queued or done (idempotent)."""
    existing = {
        p.target: p
        for p in session.scalars(
            select(Publication).where(Publication.testimony_id == testimony_id)
        )
    }
    queued: list[Publication] = []
    for target in targets:
        current = existing.get(target)
        if current is not None and current.state not in SETTLED_PUBLICATION:
            continue
        if current is None:
            current = Publication(
                testimony_id=testimony_id,
                target=target,
                idempotency_key=uuid.uuid4().hex,
                created_at=now,
                updated_at=now,
            )
            session.add(current)
        else:
            # A fresh key: the earlier post was taken down, this is a new one.
            current.idempotency_key = uuid.uuid4().hex
            current.external_id = None
            current.takedown_requested_at = None
            current.takedown_reason = None
            current.taken_down_at = None
            current.skip_reason = None
            current.attempts = 0
            current.updated_at = now
        current.state = PublicationState.QUEUED
        current.next_attempt_at = now
        queued.append(current)
        session.flush()
        audit.record(
            session,
            at=now,
            actor=actor,
            action="publication.queued",
            subject_type="publication",
            subject_id=current.id,
            detail={"testimony_id": testimony_id, "target": target},
        )
    return queued


def request_takedown(
    session: Session,
    testimony_ids: Iterable[int],
    reason: str,
    now: datetime,
    actor: str,
    targets: Iterable[str] | None = None,
) -> list[Publication]:
    """Mark every live publication of these testimonies (on `targets`, default all) for
    takedown; cancel queued ones."""
    ids = list(testimony_ids)
    if not ids:
        return []
    changed: list[Publication] = []
    query = select(Publication).where(
        Publication.testimony_id.in_(ids),
        Publication.state.in_(LIVE_PUBLICATION),
    )
    if targets is not None:
        query = query.where(Publication.target.in_(list(targets)))
    rows = session.scalars(query)
    for publication in rows:
        if (
            publication.state in (PublicationState.QUEUED, PublicationState.FAILED)
            and publication.external_id is None
        ):
            publication.state = PublicationState.SKIPPED
            publication.skip_reason = f"cancelled: {reason}"
        if publication.takedown_requested_at is None:
            publication.takedown_requested_at = now
            publication.takedown_reason = reason
        publication.updated_at = now
        changed.append(publication)
        audit.record(
            session,
            at=now,
            actor=actor,
            action="publication.takedown-requested",
            subject_type="publication",
            subject_id=publication.id,
            detail={
                "testimony_id": publication.testimony_id,
                "target": publication.target,
                "reason": reason,
            },
        )
    return changed
