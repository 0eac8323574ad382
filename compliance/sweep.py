"""One compliance sweep: every enabled platform's sources, then data minimisation.

A platform that cannot be checked now (rate limit, quota, a rejected credential) does not
stop the others; the sweep says what it could not do. The sweep itself is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from compliance import listings, retention, sources
from compliance.summary import ComplianceSummary
from config.clock import Clock
from config.errors import StorydeskError, TryLater
from config.schema import LoadedCampaign
from db import audit
from db.session import transaction

Step = Callable[[ComplianceSummary], None]


def _source_steps(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> list[tuple[str, Step]]:
    from platforms import clients

    steps: list[tuple[str, Step]] = []
    enabled = loaded.settings.enabled_platforms()
    if "x" in enabled:

        def x(summary: ComplianceSummary) -> None:
            lookup = sources.x_lookup(clients.x_search_client(loaded))
            sources.sweep_x(sessions, loaded, clock, summary, lookup)

        steps.append(("x", x))
    if "youtube" in enabled:

        def youtube(summary: ComplianceSummary) -> None:
            client = clients.youtube_client(loaded)
            sources.sweep_youtube(sessions, loaded, clock, summary, client)

        steps.append(("youtube", youtube))
    if "facebook" in enabled:

        def facebook(summary: ComplianceSummary) -> None:
            listing = listings.facebook_listing(loaded, summary)
            listings.sweep_listing(sessions, loaded, clock, summary, "facebook", listing)

        steps.append(("facebook", facebook))
    instagram = loaded.settings.platforms.instagram
    if "instagram" in enabled and instagram is not None:
        if instagram.collector == "instaloader":

            def ig(summary: ComplianceSummary) -> None:
                listing = listings.instagram_listing(loaded, clock, summary)
                listings.sweep_listing(sessions, loaded, clock, summary, "instagram", listing)

            steps.append(("instagram", ig))
        else:

            def ig_graph(summary: ComplianceSummary) -> None:
                # Graph hashtag search shows only the last 24 hours: absence proves nothing.
                summary.notes.append(
                    "instagram: the graph collector cannot tell deleted posts from old ones; "
                    "only data minimisation applies"
                )

            steps.append(("instagram", ig_graph))
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
