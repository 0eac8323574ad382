"""The outbox: claim due publications, publish each exactly once, take down on request.

A publication is written `in-flight` (with its idempotency key) and committed before the
platform is called, then settled. A row left in-flight by a dead worker is reconciled by
asking the platform whether our post exists, never by posting again blindly.
On PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED, so publishers on several hosts
never take the same row; on SQLite a guarded UPDATE lets only one claimer win.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.errors import ConfigError, StorydeskError, TryLater
from config.schema import LoadedCampaign
from db import audit
from db.models import Publication
from db.session import transaction
from publisher.common import Published, Refused, Skip, Target, Transient
from publisher.jobs import build_job, why_not_now
from publisher.registry import TargetRegistry

STALE_AFTER = timedelta(minutes=10)


@dataclass
class TargetCounts:
    published: int = 0
    skipped: int = 0
    failed: int = 0
    waiting: int = 0
    taken_down: int = 0


@dataclass
class PublishSummary:
    targets: dict[str, TargetCounts] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    gallery: Path | None = None

    def count(self, target: str) -> TargetCounts:
        return self.targets.setdefault(target, TargetCounts())


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def publish_due(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    target: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    worker: str | None = None,
) -> PublishSummary:
    worker = worker or default_worker()
    enabled = loaded.settings.publish.enabled_targets()
    if target is not None and target not in enabled:
        raise ConfigError(
            f"{loaded.path}: target {target} is not enabled "
            f"(enabled: {', '.join(enabled) or 'none'})"
        )
    chosen = [target] if target else enabled
    registry = TargetRegistry(loaded, clock)
    summary = PublishSummary()
    if dry_run:
        _plan(sessions, loaded, registry, chosen, clock.now(), limit, summary)
        return summary
    gallery_changed = _reconcile(sessions, loaded, registry, chosen, clock, worker, summary)
    gallery_changed |= _takedowns(sessions, loaded, registry, chosen, clock, summary)
    paused: set[str] = set()
    done = 0
    while limit is None or done < limit:
        row_id = _claim(
            sessions,
            [t for t in chosen if t not in paused],
            clock.now(),
            worker,
            loaded.settings.publish.max_attempts,
        )
        if row_id is None:
            break
        done += 1
        outcome = _publish_one(sessions, loaded, registry, row_id, clock, summary)
        if outcome == "pause":
            paused.add(_target_of(sessions, row_id))
        gallery_changed |= outcome == "gallery"
    if gallery_changed and "gallery" in enabled:
        from publisher.gallery import build_gallery

        summary.gallery = build_gallery(sessions, loaded)
    return summary


def _target_of(sessions: sessionmaker[Session], row_id: int) -> str:
    with sessions() as session:
        return session.get_one(Publication, row_id).target


def _claim(
    sessions: sessionmaker[Session],
    targets: list[str],
    now: datetime,
    worker: str,
    max_attempts: int,
) -> int | None:
    if not targets:
        return None
    with transaction(sessions) as session:
        query = (
            select(Publication)
            .where(
                Publication.state.in_(("queued", "failed")),
                Publication.next_attempt_at <= now,
                Publication.takedown_requested_at.is_(None),
                Publication.target.in_(targets),
                Publication.attempts < max_attempts,
            )
            .order_by(Publication.next_attempt_at, Publication.id)
            .limit(1)
        )
        postgres = session.get_bind().dialect.name == "postgresql"
        for _ in range(20):
            row = session.scalar(query.with_for_update(skip_locked=True) if postgres else query)
            if row is None:
                return None
            claimed = session.execute(
                update(Publication)
                .where(
                    Publication.id == row.id,
                    Publication.state == row.state,
                    Publication.attempts == row.attempts,
                )
                .values(
                    state="in-flight",
                    claimed_by=worker,
                    claimed_at=now,
                    attempts=row.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                audit.record(
                    session,
                    at=now,
                    actor=worker,
                    action="publication.in-flight",
                    subject_type="publication",
                    subject_id=row.id,
                    detail={
                        "target": row.target,
                        "key": row.idempotency_key,
                        "attempt": row.attempts + 1,
                    },
                )
                return row.id
            session.expire_all()
    return None


def _publish_one(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    registry: TargetRegistry,
    row_id: int,
    clock: Clock,
    summary: PublishSummary,
) -> str:
    with sessions() as session:
        row = session.get_one(Publication, row_id)
        reason = why_not_now(session, row, clock.now())
        job = build_job(session, loaded, row)
    counts = summary.count(job.target)
    if reason:
        _settle(sessions, row_id, clock.now(), "skipped", skip_reason=reason)
        counts.skipped += 1
        return "skipped"

    def save(external_id: str) -> None:
        with transaction(sessions) as session:
            session.get_one(Publication, row_id).external_id = external_id

    job.extra["save"] = save
    try:
        target = registry.get(job.target)  # built first: building a client takes a while
        if _held_back(sessions, row_id, clock.now()):
            counts.waiting += 1
            return "pause"
        result = target.publish(job)
    except Skip as exc:
        _settle(sessions, row_id, clock.now(), "skipped", skip_reason=exc.message)
        counts.skipped += 1
        return "skipped"
    except StorydeskError as exc:
        return _failed(sessions, loaded, row_id, exc, clock, summary, job.target)
    _settle(sessions, row_id, clock.now(), "done", published=result)
    counts.published += 1
    return "gallery" if job.target == "gallery" else "done"


def _held_back(sessions: sessionmaker[Session], row_id: int, now: datetime) -> bool:
    """The last look before calling: if another publisher hit the target's rate limit
    after this row was claimed, it moved the row's next attempt to the reset. Give the row
    back instead of sending a request the platform would refuse."""
    with transaction(sessions) as session:
        row = session.get_one(Publication, row_id)
        if row.next_attempt_at is None or row.next_attempt_at <= now:
            return False
        row.state, row.claimed_by, row.updated_at = "queued", None, now
        row.attempts = max(row.attempts - 1, 0)
        audit.record(
            session,
            at=now,
            actor="publisher",
            action="publication.requeued",
            subject_type="publication",
            subject_id=row.id,
            detail={"target": row.target, "why": f"{row.target} is rate limited"},
        )
        return True


def _failed(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    row_id: int,
    exc: StorydeskError,
    clock: Clock,
    summary: PublishSummary,
    target: str,
) -> str:
    now = clock.now()
    counts = summary.count(target)
    with transaction(sessions) as session:
        row = session.get_one(Publication, row_id)
        row.state, row.last_error, row.updated_at = "failed", exc.message, now
        row.claimed_by = None
        if isinstance(exc, TryLater):
            row.attempts -= 1  # a rate limit is not the publication's fault
            row.next_attempt_at = exc.retry_at or now + timedelta(minutes=15)
            counts.waiting += 1
        elif isinstance(exc, Transient):
            row.next_attempt_at = now + timedelta(minutes=min(2**row.attempts, 360))
            counts.failed += 1
        elif isinstance(exc, Refused):
            row.next_attempt_at = None
            counts.failed += 1
        else:  # credentials or configuration: a person must act; try again in an hour
            row.next_attempt_at = now + timedelta(hours=1)
            counts.failed += 1
        if row.attempts >= loaded.settings.publish.max_attempts:
            row.next_attempt_at = None
        audit.record(
            session,
            at=now,
            actor="publisher",
            action="publication.failed",
            subject_type="publication",
            subject_id=row.id,
            detail={"target": row.target, "error": exc.message},
        )
    if isinstance(exc, TryLater):
        _hold_target(sessions, target, exc.retry_at or now + timedelta(minutes=15), clock)
    summary.errors.append(f"{target}: {exc.message}")
    return "pause" if not isinstance(exc, (Transient, Refused)) else "failed"


def _hold_target(
    sessions: sessionmaker[Session], target: str, until: datetime, clock: Clock
) -> None:
    """A rate limit is the account's, not one row's: hold the target's other due rows back
    until the reset, so no publisher (in this cycle, the next, or on another host) calls
    the platform before it. In-flight rows too: their publishers look once more before
    calling (_held_back). Rows are locked in id order, so two publishers doing this at
    the same moment cannot deadlock."""
    with transaction(sessions) as session:
        ids = session.scalars(
            select(Publication.id)
            .where(
                Publication.target == target,
                Publication.state.in_(("queued", "failed", "in-flight")),
                Publication.next_attempt_at < until,
            )
            .order_by(Publication.id)
            .with_for_update()
        ).all()
        if ids:
            session.execute(
                update(Publication)
                .where(Publication.id.in_(ids))
                .values(next_attempt_at=until)
                .execution_options(synchronize_session=False)
            )
        audit.record(
            session,
            at=clock.now(),
            actor="publisher",
            action="target.held",
            subject_type="target",
            subject_id=target,
            detail={"until": until.isoformat(), "publications": len(ids)},
        )


def _settle(
    sessions: sessionmaker[Session],
    row_id: int,
    now: datetime,
    state: str,
    published: Published | None = None,
    skip_reason: str | None = None,
) -> None:
    with transaction(sessions) as session:
        row = session.get_one(Publication, row_id)
        row.state, row.updated_at, row.claimed_by = state, now, None
        if published is not None:
            row.external_id, row.external_url, row.published_at = (
                published.external_id,
                published.external_url,
                now,
            )
            row.last_error = None
        if skip_reason is not None:
            row.skip_reason = skip_reason
        audit.record(
            session,
            at=now,
            actor="publisher",
            action=f"publication.{state}",
            subject_type="publication",
            subject_id=row.id,
            detail={"target": row.target, "external_id": row.external_id, "reason": skip_reason},
        )


def _is_dead(claimed_by: str | None, claimed_at: datetime | None, now: datetime) -> bool:
    if not claimed_by or claimed_at is None:
        return True
    host, _, pid = claimed_by.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return True  # this process runs one cycle at a time: a row of ours is from before
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return claimed_at < now - STALE_AFTER


def _reconcile(
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
            if _is_dead(r.claimed_by, r.claimed_at, now)
        ]
    changed = False
    for row_id in stale:
        with sessions() as session:
            job = build_job(session, loaded, session.get_one(Publication, row_id))
        try:
            found = registry.get(job.target).find_existing(job)
        except Skip as exc:  # the target cannot carry it (no copy there): nothing went out
            _settle(sessions, row_id, now, "skipped", skip_reason=exc.message)
            summary.count(job.target).skipped += 1
            continue
        except StorydeskError as exc:
            summary.errors.append(f"{job.target}: reconciling publication {row_id}: {exc.message}")
            _failed(
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
            _settle(sessions, row_id, now, "done", published=found)
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


def _takedowns(
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
            row.state, row.taken_down_at, row.updated_at = "taken-down", now, now
            audit.record(
                session,
                at=now,
                actor="publisher",
                action="publication.taken-down",
                subject_type="publication",
                subject_id=row.id,
                detail={
                    "target": row.target,
                    "external_id": row.external_id,
                    "reason": row.takedown_reason,
                },
            )
            summary.count(row.target).taken_down += 1
            changed = True
    return changed


def _plan(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    registry: TargetRegistry,
    targets: list[str],
    now: datetime,
    limit: int | None,
    summary: PublishSummary,
) -> None:
    with sessions() as session:
        rows = session.scalars(
            select(Publication)
            .where(
                Publication.state.in_(("queued", "failed")),
                Publication.next_attempt_at <= now,
                Publication.takedown_requested_at.is_(None),
                Publication.target.in_(targets),
            )
            .order_by(Publication.next_attempt_at, Publication.id)
            .limit(limit)
        ).all()
        for row in rows:
            reason = why_not_now(session, row, now)
            job = build_job(session, loaded, row)
            prefix = f"testimony {row.testimony_id} → {row.target}: "
            if reason:
                summary.planned.append(prefix + f"skip ({reason})")
                continue
            try:
                summary.planned.append(prefix + registry.get(row.target).describe(job))
            except Skip as exc:
                summary.planned.append(prefix + f"skip ({exc.message})")
            except StorydeskError as exc:
                summary.planned.append(prefix + f"cannot publish: {exc.message}")
        takedowns = session.scalars(
            select(Publication).where(
                Publication.takedown_requested_at.is_not(None),
                Publication.taken_down_at.is_(None),
                Publication.external_id.is_not(None),
                Publication.target.in_(targets),
            )
        ).all()
        for row in takedowns:
            summary.planned.append(
                f"testimony {row.testimony_id} → {row.target}: take down "
                f"{row.external_id} ({row.takedown_reason})"
            )


def _unused(target: Target) -> None:  # the registry hands out Targets
    return None
