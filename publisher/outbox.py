"""The outbox: claim due publications, publish each exactly once, take down on request.

A publication is written `in-flight` (with its idempotency key) and committed before the
platform is called, then settled. A row left in-flight by a dead worker is reconciled by
asking the platform whether our post exists, never by posting again blindly.
On PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED, so publishers on several hosts
never take the same row; on SQLite a guarded UPDATE lets only one claimer win.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.errors import ConfigError, StorydeskError
from config.schema import LoadedCampaign
from config.workers import worker_id
from db import audit
from db.models import Publication
from db.outbox import of_campaign
from db.session import transaction
from db.states import PublicationState
from publisher.common import Skip, Unsure
from publisher.jobs import build_job, why_not_now
from publisher.recovery import gallery_behind, rebuild_gallery, reconcile, take_down_due
from publisher.registry import TargetRegistry
from publisher.settle import PublishSummary, held_back, leave_unsettled, record_failure, settle

__all__ = ["PublishSummary", "publish_due"]


def publish_due(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    target: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
    worker: str | None = None,
) -> PublishSummary:
    worker = worker or worker_id()
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
    gallery_changed = reconcile(sessions, loaded, registry, chosen, clock, worker, summary)
    gallery_changed |= take_down_due(sessions, loaded, registry, chosen, clock, summary)
    paused: set[str] = set()
    done = 0
    while limit is None or done < limit:
        row_id = _claim(
            sessions,
            [t for t in chosen if t not in paused],
            clock.now(),
            worker,
            loaded.settings.publish.max_attempts,
            loaded.id,
        )
        if row_id is None:
            break
        done += 1
        outcome = _publish_one(sessions, loaded, registry, row_id, clock, summary)
        if outcome == "pause":
            paused.add(_target_of(sessions, row_id))
        gallery_changed |= outcome == "gallery"
    if "gallery" in chosen and (gallery_changed or gallery_behind(sessions, loaded)):
        try:
            built = rebuild_gallery(sessions, loaded, clock, worker)
        except StorydeskError as exc:  # recorded; the takedowns it held back stay due
            summary.errors.append(
                f"gallery: {exc.message} (the next cycle rebuilds it; until then withdrawn "
                "cards stay due and `status` raises the alarm)"
            )
            summary.count("gallery").failed += 1
        else:
            summary.gallery = built.path
            summary.count("gallery").taken_down += len(built.taken_down)
    return summary


def _target_of(sessions: sessionmaker[Session], row_id: int) -> str:
    with sessions() as session:
        return session.get_one(Publication, row_id).target


def _due(
    targets: list[str], now: datetime, max_attempts: int, campaign_id: str
) -> Select[Publication]:
    """The campaign's publications due now, oldest first: what a cycle works through, and
    what its dry run lists (one query, so the dry run shows exactly what the cycle would
    attempt)."""
    return (
        select(Publication)
        .where(
            Publication.state.in_((PublicationState.QUEUED, PublicationState.FAILED)),
            Publication.next_attempt_at <= now,
            Publication.takedown_requested_at.is_(None),
            Publication.target.in_(targets),
            Publication.attempts < max_attempts,
            of_campaign(campaign_id),
        )
        .order_by(Publication.next_attempt_at, Publication.id)
    )


def _claim(
    sessions: sessionmaker[Session],
    targets: list[str],
    now: datetime,
    worker: str,
    max_attempts: int,
    campaign_id: str,
) -> int | None:
    if not targets:
        return None
    with transaction(sessions) as session:
        query = _due(targets, now, max_attempts, campaign_id).limit(1)
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
                    state=PublicationState.IN_FLIGHT,
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
        reason = why_not_now(session, loaded, row, clock.now())
        job = build_job(session, loaded, row)
    counts = summary.count(job.target)
    if reason:
        settle(sessions, row_id, clock.now(), PublicationState.SKIPPED, skip_reason=reason)
        counts.skipped += 1
        return "skipped"

    def save(external_id: str) -> None:
        with transaction(sessions) as session:
            session.get_one(Publication, row_id).external_id = external_id

    job.extra["save"] = save
    try:
        target = registry.get(job.target)  # built first: building a client takes a while
        if held_back(sessions, row_id, clock.now()):
            counts.waiting += 1
            return "pause"
        result = target.publish(job)
    except Skip as exc:
        settle(sessions, row_id, clock.now(), PublicationState.SKIPPED, skip_reason=exc.message)
        counts.skipped += 1
        return "skipped"
    except Unsure as exc:
        return leave_unsettled(sessions, row_id, exc.message, clock, summary, job.target)
    except StorydeskError as exc:
        return record_failure(sessions, loaded, row_id, exc, clock, summary, job.target)
    except Exception as exc:  # noqa: BLE001 - one target's garbled answer stops no other
        # The call may have gone out: never retried blind, asked about next cycle.
        message = f"{job.target}: unexpected answer ({type(exc).__name__}: {exc})"
        return leave_unsettled(sessions, row_id, message, clock, summary, job.target)
    settle(sessions, row_id, clock.now(), PublicationState.DONE, published=result)
    counts.published += 1
    return "gallery" if job.target == "gallery" else "done"


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
        max_attempts = loaded.settings.publish.max_attempts
        rows = session.scalars(_due(targets, now, max_attempts, loaded.id).limit(limit)).all()
        for row in rows:
            reason = why_not_now(session, loaded, row, now)
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
                of_campaign(loaded.id),
            )
        ).all()
        for row in takedowns:
            summary.planned.append(
                f"testimony {row.testimony_id} → {row.target}: take down "
                f"{row.external_id} ({row.takedown_reason})"
            )
