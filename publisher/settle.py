"""What happens to a publication after its call: done, skipped, failed with its next
attempt, or given back because its target is held by a rate limit."""

from __future__ import annotations

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
from db.outbox import of_campaign
from db.session import transaction
from db.states import PublicationState
from publisher.common import Published, Refused, Transient


@dataclass
class TargetCounts:
    published: int = 0
    skipped: int = 0
    failed: int = 0
    waiting: int = 0
    taken_down: int = 0
    # of the failed: those a person fixes in the campaign file or the environment (a
    # credential refused, a setting missing): the run exits 78, not 1
    misconfigured: int = 0


@dataclass
class PublishSummary:
    targets: dict[str, TargetCounts] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    gallery: Path | None = None

    def count(self, target: str) -> TargetCounts:
        return self.targets.setdefault(target, TargetCounts())


def held_back(sessions: sessionmaker[Session], row_id: int, now: datetime) -> bool:
    """The last look before calling: if another publisher hit the target's rate limit
    after this row was claimed, it moved the row's next attempt to the reset. Give the row
    back instead of sending a request the platform would refuse."""
    with transaction(sessions) as session:
        row = session.get_one(Publication, row_id)
        if row.next_attempt_at is None or row.next_attempt_at <= now:
            return False
        row.state, row.claimed_by, row.updated_at = PublicationState.QUEUED, None, now
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


def record_failure(
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
        row.state, row.last_error, row.updated_at = PublicationState.FAILED, exc.message, now
        row.claimed_by = None
        if isinstance(exc, Transient):  # before TryLater, of which it is the short kind
            row.next_attempt_at = now + timedelta(minutes=min(2**row.attempts, 360))
        elif isinstance(exc, TryLater):
            row.attempts -= 1  # a rate limit is not the publication's fault
            row.next_attempt_at = exc.retry_at or now + timedelta(minutes=15)
            counts.waiting += 1
        elif isinstance(exc, Refused):
            row.next_attempt_at = None
            counts.failed += 1
        else:  # credentials or configuration: a person must act; try again in an hour
            row.next_attempt_at = now + timedelta(hours=1)
            counts.failed += 1
            if isinstance(exc, ConfigError):
                # the token or setting is wrong, not the row: once someone fixes it the row
                # goes out (never given up while waiting; the cycle pauses the target after
                # this call)
                row.attempts = max(row.attempts - 1, 0)
                counts.misconfigured += 1
        if row.attempts >= loaded.settings.publish.max_attempts:
            row.next_attempt_at = None
        retry_at = row.next_attempt_at
        if isinstance(exc, Transient):
            # a brief outage with a retry scheduled is waiting, not failed (exit 75, not 1);
            # only when the attempts are spent is it a failure a person must look at
            if retry_at is not None:
                counts.waiting += 1
            else:
                counts.failed += 1
        audit.record(
            session,
            at=now,
            actor="publisher",
            action="publication.failed",
            subject_type="publication",
            subject_id=row.id,
            detail={"target": row.target, "error": exc.message},
        )
    if isinstance(exc, TryLater) and not isinstance(exc, Transient):
        until = exc.retry_at or now + timedelta(minutes=15)
        hold_target(sessions, loaded.id, target, until, clock)
    if isinstance(exc, Transient) and retry_at is not None:
        summary.errors.append(
            f"{target}: {exc.message}; a retry is scheduled at {retry_at:%Y-%m-%d %H:%M} UTC"
        )
    elif isinstance(exc, Transient):
        summary.errors.append(
            f"{target}: {exc.message}; gave up after {loaded.settings.publish.max_attempts} "
            "attempts (`storydesk status` lists it)"
        )
    else:
        summary.errors.append(f"{target}: {exc.message}")
    return "pause" if not isinstance(exc, (Transient, Refused)) else "failed"


def leave_unsettled(
    sessions: sessionmaker[Session],
    row_id: int,
    message: str,
    clock: Clock,
    summary: PublishSummary,
    target: str,
) -> str:
    """The platform may or may not have acted: the row stays in flight, claimed by nobody,
    so the next cycle's reconciliation asks the platform before anything is sent again."""
    now = clock.now()
    with transaction(sessions) as session:
        row = session.get_one(Publication, row_id)
        row.last_error, row.updated_at, row.claimed_by = message, now, None
        audit.record(
            session,
            at=now,
            actor="publisher",
            action="publication.unsettled",
            subject_type="publication",
            subject_id=row.id,
            detail={"target": row.target, "error": message},
        )
    summary.count(target).failed += 1
    summary.errors.append(f"{message} (the next cycle asks {target} before trying again)")
    return "failed"


def hold_target(
    sessions: sessionmaker[Session],
    campaign_id: str,
    target: str,
    until: datetime,
    clock: Clock,
) -> None:
    """A rate limit is the account's, not one row's: hold the campaign's other due rows
    of the target back until the reset, so no publisher of it (in this cycle, the next,
    or on another host) calls the platform before it. In-flight rows too: their
    publishers look once more before calling (held_back). Another campaign's rows are
    left alone: its accounts are in its own campaign file, and its publisher learns of a
    limit of its own from its own call. Rows are locked in id order, so two publishers
    doing this at the same moment cannot deadlock."""
    with transaction(sessions) as session:
        ids = session.scalars(
            select(Publication.id)
            .where(
                of_campaign(campaign_id),
                Publication.target == target,
                Publication.state.in_(
                    (PublicationState.QUEUED, PublicationState.FAILED, PublicationState.IN_FLIGHT)
                ),
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
            detail={"until": until.isoformat(), "campaign": campaign_id, "publications": len(ids)},
        )


def settle(
    sessions: sessionmaker[Session],
    row_id: int,
    now: datetime,
    state: PublicationState,
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
