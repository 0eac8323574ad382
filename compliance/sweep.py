"""One compliance sweep: every enabled platform's sources, then data minimisation.

A platform that cannot be checked now (rate limit, quota, a rejected credential) does not
stop the others; the sweep says what it could not do. The sweep itself is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from compliance import retention
from compliance.summary import ComplianceSummary
from config.clock import Clock
from config.errors import StorydeskError, TryLater
from config.schema import LoadedCampaign
from consent.unbacked import take_down_unbacked
from db import audit
from db.models import Publication, Testimony
from db.session import transaction
from platforms import registry

Step = Callable[[ComplianceSummary], None]


def _source_steps(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> list[tuple[str, Step]]:
    """Every enabled platform that can check its sources, in registry order."""
    steps: list[tuple[str, Step]] = []
    for name in loaded.settings.enabled_platforms():
        check = registry.get(name).source_check
        if check is not None:
            steps.append((name, check(sessions, loaded, clock)))
    return steps


def run_sweep(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    steps: list[tuple[str, Step]] | None = None,
    take_down: Callable[[], int] | None = None,
) -> ComplianceSummary:
    """Check the sources, have the reshares taken down (`take_down`: the publisher's
    takedowns, given by the caller, which may import the publisher), then minimise: so a
    withdrawn person whose reshares just came down is purged in the same sweep.
    `steps` replaces the platform checks in tests."""
    summary = ComplianceSummary()
    started = clock.now()
    for platform, step in steps if steps is not None else _source_steps(sessions, loaded, clock):
        try:
            step(summary)
        except TryLater as exc:
            summary.try_later.append(exc.message)
            if exc.retry_at and (summary.retry_at is None or exc.retry_at < summary.retry_at):
                summary.retry_at = exc.retry_at
        except StorydeskError as exc:
            summary.errors.append(exc.message)
        except Exception as exc:  # noqa: BLE001 - one platform's surprise must not stop the rest
            summary.errors.append(f"{platform}: {type(exc).__name__}: {exc}")
    summary.takedowns_requested += _consent_changed(sessions, loaded, clock)
    if take_down is not None:
        try:
            summary.taken_down = take_down()
        except StorydeskError as exc:
            summary.errors.append(f"takedowns: {exc.message}")
    retention.purge_unmatched(sessions, loaded, clock, summary)
    retention.purge_withdrawn(sessions, loaded, clock, summary)
    detail: dict[str, Any] = {
        **summary.counts(),
        "started_at": started.isoformat(),
        "status": summary.status(),
        "problems": summary.errors + summary.try_later,
    }
    with transaction(sessions) as session:
        audit.record(
            session,
            at=clock.now(),
            actor="compliance",
            action="compliance.sweep",
            subject_type="campaign",
            subject_id=loaded.id,
            detail=detail,
        )
    return summary


def _consent_changed(sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock) -> int:
    """Ask for the takedown of reshares whose consent has changed since they went out (a
    form past its expires_at, another form naming the account withdrawn): every match does
    it too, but a campaign that harvests no more matches no more, and a form expires by the
    clock alone. The number of reshares asked for."""
    asked = (
        select(func.count())
        .select_from(Publication)
        .join(Testimony, Testimony.id == Publication.testimony_id)
        .where(Testimony.campaign_id == loaded.id, Publication.takedown_requested_at.is_not(None))
    )
    with transaction(sessions) as session:
        before = session.scalar(asked) or 0
        take_down_unbacked(session, loaded, clock.now())
        return (session.scalar(asked) or 0) - before
