"""After a crash and on withdrawal: rows left in-flight by a dead publisher are settled by
asking the platform, never by posting again; reshares whose consent or source is gone are
taken down. A gallery card is taken down only when the rebuilt gallery without it is in
place: until then its takedown stays due, and a failed rebuild is recorded for `status`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.errors import ConfigError, StorydeskError, TryLater
from config.schema import LoadedCampaign
from config.workers import on_this_host, process_gone, worker_id
from db import audit
from db.models import AuditEntry, Publication
from db.outbox import of_campaign
from db.session import transaction
from db.states import PublicationState
from publisher.common import Gone, Refused, Skip, Transient
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
                    Publication.state == PublicationState.IN_FLIGHT,
                    Publication.target.in_(targets),
                    of_campaign(loaded.id),
                )
            )
            if is_dead(r.claimed_by, r.claimed_at, now)
        ]
    changed = False
    for row_id in stale:
        with sessions() as session:
            job = build_job(session, loaded, session.get_one(Publication, row_id), every_copy=True)
        try:
            found = registry.get(job.target).find_existing(job)
        except Skip as exc:  # the target cannot carry it (no copy there): nothing went out
            settle(sessions, row_id, now, PublicationState.SKIPPED, skip_reason=exc.message)
            summary.count(job.target).skipped += 1
            continue
        except Exception as exc:  # noqa: BLE001 - a garbled answer stops no other row
            if isinstance(exc, StorydeskError) and not isinstance(exc, TryLater):
                # credentials or a refusal: a person must act; failed, and never sent blind
                error = Refused(f"reconciling publication {row_id}: {exc.message}")
                record_failure(sessions, loaded, row_id, error, clock, summary, job.target)
                continue
            # Not known whether it went out, and the platform cannot say now: it stays in
            # flight, claimed by nobody, and the next cycle asks again (a failed row would be
            # due, and sent again without asking).
            why = (
                exc.message
                if isinstance(exc, StorydeskError)
                else (f"unexpected answer ({type(exc).__name__}: {exc})")
            )
            _still_unsure(sessions, row_id, now, f"{job.target}: asking about it: {why}")
            summary.count(job.target).waiting += 1
            summary.errors.append(
                f"{job.target}: publication {row_id} may have gone out and {job.target} cannot "
                f"say now ({why}); the next cycle asks again before anything is sent"
            )
            continue
        if found is not None:
            settle(sessions, row_id, now, PublicationState.DONE, published=found)
            summary.count(job.target).published += 1
            changed |= job.target == "gallery"
        else:
            _requeue(sessions, loaded, row_id, now, worker, summary)
    return changed


def _still_unsure(
    sessions: sessionmaker[Session], row_id: int, now: datetime, message: str
) -> None:
    with transaction(sessions) as session:
        row = session.get_one(Publication, row_id)
        row.claimed_by, row.last_error, row.updated_at = None, message, now


def _requeue(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    row_id: int,
    now: datetime,
    worker: str,
    summary: PublishSummary,
) -> None:
    """The platform has no post with our key: send it again, within the publication's
    attempts. A row a crash left in flight gets its attempt back (the crash was not the
    publication's doing); one whose answer said nothing clear (left unsettled, claimed by
    nobody) keeps it counted, so an answer that is never clear ends after max_attempts:
    then a person must look, and it is reported once (the row is then failed, not due)."""
    limit = loaded.settings.publish.max_attempts
    with transaction(sessions) as session:
        row = session.get_one(Publication, row_id)
        unclear = row.claimed_by is None
        if not unclear:
            row.attempts = max(row.attempts - 1, 0)
        row.claimed_by, row.updated_at = None, now
        if unclear and row.attempts >= limit:
            row.state, row.next_attempt_at = PublicationState.FAILED, None
            row.last_error = (
                f"{row.target}: {row.attempts} attempts met no clear answer (the last: "
                f"{(row.last_error or 'none')[:200]}), and {row.target} shows no post of ours; "
                f"a person must check on {row.target} whether testimony {row.testimony_id} "
                "went out: it is not sent again"
            )
            summary.count(row.target).failed += 1
            summary.errors.append(row.last_error)
            action, detail = "publication.failed", {"target": row.target, "error": row.last_error}
        else:
            row.state, row.next_attempt_at = PublicationState.QUEUED, now
            why = (
                "the answer did not say whether it went out"
                if unclear
                else "in-flight after a crash"
            )
            action = "publication.requeued"
            detail = {"target": row.target, "why": f"{why}; the platform has no post with our key"}
        audit.record(
            session,
            at=now,
            actor=worker,
            action=action,
            subject_type="publication",
            subject_id=row_id,
            detail=detail,
        )


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
                    Publication.state != PublicationState.IN_FLIGHT,
                    Publication.target.in_(targets),
                    of_campaign(loaded.id),
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
            if row.external_id is None or row.state not in (
                PublicationState.DONE,
                PublicationState.FAILED,
            ):
                row.taken_down_at = now  # nothing ever went out
                continue
            if row.target == "gallery":
                changed = True  # done once the rebuilt gallery is in place: rebuild_gallery
                continue
            job = build_job(session, loaded, row, every_copy=True)
            try:
                registry.get(row.target).take_down(job)
            except Gone as exc:
                # already deleted (by hand, by the participant, by the platform): done
                mark_taken_down(session, row, now, "publisher", already_gone=True, note=exc.message)
                summary.count(row.target).taken_down += 1
                continue
            except StorydeskError as exc:
                row.last_error = f"takedown: {exc.message}"
                summary.errors.append(
                    f"{row.target}: takedown of publication {row.id}: {exc.message}"
                )
                # A reshare still up after consent was withdrawn is failed work (exit 1),
                # unless only a rate limit stands in the way (exit 75).
                counts = summary.count(row.target)
                if isinstance(exc, TryLater) and not isinstance(exc, Transient):
                    counts.waiting += 1
                else:
                    counts.failed += 1
                    counts.misconfigured += isinstance(exc, ConfigError)
                continue
            mark_taken_down(session, row, now, "publisher")
            summary.count(row.target).taken_down += 1
            changed = True
    return changed


def mark_taken_down(
    session: Session, row: Publication, now: datetime, actor: str, **detail: Any
) -> None:
    """The reshare is down (by the platform's API, or by hand: `detail` says how)."""
    row.state, row.taken_down_at, row.updated_at, row.last_error = (
        PublicationState.TAKEN_DOWN,
        now,
        now,
        None,
    )
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


GALLERY_REBUILT = "gallery.rebuilt"
GALLERY_FAILED = "gallery.rebuild-failed"


@dataclass
class Rebuilt:
    path: Path
    cards: int
    taken_down: list[int] = field(default_factory=list)


def rebuild_gallery(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock, actor: str
) -> Rebuilt:
    """Rebuild the campaign's public gallery; only once it is in place are the withdrawn
    cards it left out recorded taken-down. On failure the takedowns stay due (the next
    cycle rebuilds), the error is written on them and in the audit trail (`status` raises
    the alarm from it), and the error is raised."""
    from publisher.gallery import build_site

    try:
        built = build_site(sessions, loaded)
    except StorydeskError as exc:
        _record_gallery_failure(sessions, loaded, clock.now(), actor, exc.message)
        raise
    now = clock.now()
    result = Rebuilt(built.path, built.cards)
    with transaction(sessions) as session:
        for row_id in built.withdrawn:
            query = select(Publication).where(
                Publication.id == row_id,
                Publication.takedown_requested_at.is_not(None),
                Publication.taken_down_at.is_(None),
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.scalar(query)
            if row is None or row.state == PublicationState.IN_FLIGHT:
                continue  # settled by another publisher meanwhile
            mark_taken_down(session, row, now, actor, gallery=str(built.path))
            result.taken_down.append(row_id)
        audit.record(
            session,
            at=now,
            actor=actor,
            action=GALLERY_REBUILT,
            subject_type="gallery",
            subject_id=loaded.id,
            detail={"out": str(built.path), "cards": built.cards, "removed": result.taken_down},
        )
    return result


def _record_gallery_failure(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, now: datetime, actor: str, error: str
) -> None:
    from publisher.gallery import withdrawn_cards

    with transaction(sessions) as session:
        waiting = withdrawn_cards(session, loaded.id)
        for row_id in waiting:
            row = session.get_one(Publication, row_id)
            row.last_error, row.updated_at = f"takedown: the gallery rebuild failed: {error}", now
        audit.record(
            session,
            at=now,
            actor=actor,
            action=GALLERY_FAILED,
            subject_type="gallery",
            subject_id=loaded.id,
            detail={"error": error, "withdrawn_still_shown": waiting},
        )


def gallery_behind(sessions: sessionmaker[Session], loaded: LoadedCampaign) -> bool:
    """The last rebuild of the public gallery failed: it may show what it should not, or
    miss what it should show, until a rebuild succeeds."""
    with sessions() as session:
        last = session.scalar(
            select(AuditEntry.action)
            .where(
                AuditEntry.subject_type == "gallery",
                AuditEntry.subject_id == loaded.id,
                AuditEntry.action.in_((GALLERY_REBUILT, GALLERY_FAILED)),
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(1)
        )
    return last == GALLERY_FAILED
