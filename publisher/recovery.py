"""After a crash and on withdrawal: rows left in-flight by a dead publisher are settled by
asking the platform, never by posting again; reshares whose consent or source is gone are
taken down."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.errors import StorydeskError, TryLater
from config.schema import LoadedCampaign
from config.workers import on_this_host, process_gone, worker_id
from db import audit
from db.models import Publication
from db.session import transaction
from publisher.common import Refused, Skip, Transient
from publisher.jobs import build_job
from publisher.registry import TargetRegistry
from publisher.settle import PublishSummary, record_failure, settle

STALE_AFTER = timedelta(minutes=10)


def is_dead(claimed_by: str | None, claimed_at: datetime | None, now: datetime) -> bool:
    if not claimed_by or claimed_at is None:
        return True
    if claimed_by == worker_id():
        return True  # this process runs one cycle at a time: a row of ours is from before
    if on_this_host(claimed_by):
        return process_gone(claimed_by)
    return claimed_at < now - STALE_AFTER


def reconcile(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    registry: TargetRegistry,
    targets: list[str],
    clock: Clock,
    worker: str,
    summary: PublishSummary,
) -> bool:
    now = clock.now()
    with sessions() as session:
        stale = [
            r.id
            for r in session.scalars(
                select(Publication).where(
                    Publication.state == "in-flight", Publication.target.in_(targets)
                )
            )
            if is_dead(r.claimed_by, r.claimed_at, now)
        ]
    changed = False
    for row_id in stale:
        with sessions() as session:
            job = build_job(session, loaded, session.get_one(Publication, row_id))
        try:
            found = registry.get(job.target).find_existing(job)
        except Skip as exc:  # the target cannot carry it (no copy there): nothing went out
            settle(sessions, row_id, now, "skipped", skip_reason=exc.message)
            summary.count(job.target).skipped += 1
            continue
        except StorydeskError as exc:
            summary.errors.append(f"{job.target}: reconciling publication {row_id}: {exc.message}")
            record_failure(
                sessions,
                loaded,
                row_id,
                exc if isinstance(exc, Refused | TryLater | Transient) else Refused(exc.message),
                clock,
                summary,
                job.target,
            )
            continue
        if found is not None:
            settle(sessions, row_id, now, "done", published=found)
            summary.count(job.target).published += 1
            changed |= job.target == "gallery"
        else:
            with transaction(sessions) as session:
                row = session.get_one(Publication, row_id)
                row.state, row.next_attempt_at, row.claimed_by = "queued", now, None
                row.attempts = max(row.attempts - 1, 0)
                audit.record(
                    session,
                    at=now,
                    actor=worker,
                    action="publication.requeued",
                    subject_type="publication",
                    subject_id=row_id,
                    detail={
                        "target": row.target,
                        "why": "in-flight after a crash; the platform has no post with our key",
                    },
                )
    return changed


def take_down_due(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    registry: TargetRegistry,
    targets: list[str],
    clock: Clock,
    summary: PublishSummary,
) -> bool:
    now = clock.now()
    with sessions() as session:
        due = [
            r.id
            for r in session.scalars(
                select(Publication).where(
                    Publication.takedown_requested_at.is_not(None),
                    Publication.taken_down_at.is_(None),
                    Publication.state != "in-flight",
                    Publication.target.in_(targets),
                )
            )
        ]
    changed = False
    for row_id in due:
        with transaction(sessions) as session:
            query = select(Publication).where(
                Publication.id == row_id, Publication.taken_down_at.is_(None)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.scalar(query)
            if row is None:
                continue
            if row.external_id is None or row.state not in ("done", "failed"):
                row.taken_down_at = now  # nothing ever went out
                continue
            job = build_job(session, loaded, row)
            try:
                registry.get(row.target).take_down(job)
            except StorydeskError as exc:
                row.last_error = f"takedown: {exc.message}"
                summary.errors.append(
                    f"{row.target}: takedown of publication {row.id}: {exc.message}"
                )
                # A reshare still up after consent was withdrawn is failed work (exit 1),
                # unless only a rate limit stands in the way (exit 75).
                counts = summary.count(row.target)
                if isinstance(exc, TryLater):
                    counts.waiting += 1
                else:
                    counts.failed += 1
                continue
            mark_taken_down(session, row, now, "publisher")
            summary.count(row.target).taken_down += 1
            changed = True
    return changed


def mark_taken_down(
    session: Session, row: Publication, now: datetime, actor: str, **detail: Any
) -> None:
    """The reshare is down (by the platform's API, or by hand: `detail` says how)."""
    row.state, row.taken_down_at, row.updated_at, row.last_error = "taken-down", now, now, None
    audit.record(
        session,
        at=now,
        actor=actor,
        action="publication.taken-down",
        subject_type="publication",
        subject_id=row.id,
        detail={
            "target": row.target,
            "external_id": row.external_id,
            "reason": row.takedown_reason,
            **detail,
        },
    )
