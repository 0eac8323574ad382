"""The harvest pipeline: one run row per platform query, pages stored one transaction each.

The cursor moves only in the transaction that stores the page it covers, so a run killed at
any moment loses nothing and stores nothing twice; the next run resumes from the cursor.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from queue import SimpleQueue
from typing import Any, cast

from sqlalchemy import BindParameter, CursorResult, Table, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.errors import ConfigError, CredentialRejected, StorydeskError, TryLater, WorkFailed
from config.schema import LoadedCampaign
from db import quota
from db.models import Campaign, HarvestCursor, HarvestRun, Post
from db.session import transaction
from harvester.common import Collector, Page
from harvester.store import RunRef, store_posts
from harvester.validate import validate

Progress = Callable[[str, int], None]


@dataclass
class RunSummary:
    platform: str
    status: str = "ok"  # ok | failed | try-later
    new: int = 0
    updated: int = 0
    skipped: int = 0
    requests: int = 0
    quota_units: int = 0
    error: str | None = None
    error_kind: str | None = None
    retry_at: datetime | None = None
    run_id: int | None = None
    # items the platform sent that were not fit to store (one line each: id and why)
    rejected: list[str] = field(default_factory=list)


def ensure_campaign(session: Session, loaded: LoadedCampaign, now: datetime) -> None:
    row = session.get(Campaign, loaded.id)
    if row is None:
        session.add(
            Campaign(
                id=loaded.id,
                name=loaded.settings.campaign.name,
                config_hash=loaded.config_hash,
                created_at=now,
            )
        )
    else:
        row.config_hash = loaded.config_hash


def harvest(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    platforms: list[str] | None = None,
    progress: Progress | None = None,
) -> list[RunSummary]:
    """Run the collectors once; a platform that fails does not stop the others."""
    chosen = chosen_platforms(loaded, platforms)
    with transaction(sessions) as session:
        ensure_campaign(session, loaded, clock.now())
    return [harvest_platform(sessions, loaded, platform, clock, progress) for platform in chosen]


def chosen_platforms(loaded: LoadedCampaign, platforms: list[str] | None) -> list[str]:
    """The platforms asked for (every enabled one when none is), or ConfigError naming the
    first that is not enabled."""
    enabled = loaded.settings.enabled_platforms()
    chosen = platforms or enabled
    unknown = [p for p in chosen if p not in enabled]
    if unknown:
        raise ConfigError(
            f"{loaded.path}: platform {unknown[0]} is not enabled in the campaign "
            f"(enabled: {', '.join(enabled) or 'none'})"
        )
    return chosen


def harvest_platform(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    platform: str,
    clock: Clock,
    progress: Progress | None = None,
) -> RunSummary:
    from harvester.collectors import build_collectors

    summary = RunSummary(platform)
    try:
        collectors = build_collectors(sessions, loaded, platform, clock)
    except StorydeskError as exc:
        # Recorded as a run like any other, so `status` sees the harvest that could not
        # even start (an unset credential) instead of a platform that merely has not run.
        _fail(summary, exc)
        _record_setup_failure(sessions, loaded, platform, clock, summary)
        return summary
    for collector in collectors:
        _run_one(sessions, loaded, collector, clock, summary, progress)
        if summary.status != "ok":
            break
    return summary


def _record_setup_failure(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    platform: str,
    clock: Clock,
    summary: RunSummary,
) -> None:
    now = clock.now()
    with transaction(sessions) as session:
        run = HarvestRun(
            campaign_id=loaded.id,
            platform=platform,
            query="(setup)",
            config_hash=loaded.config_hash,
            host=socket.gethostname(),
            started_at=now,
            finished_at=now,
            status=summary.status,
            error=summary.error,
            error_kind=summary.error_kind,
            retry_at=summary.retry_at,
        )
        session.add(run)
        session.flush()
        summary.run_id = run.id


def _fail(summary: RunSummary, exc: BaseException) -> None:
    if isinstance(exc, TryLater):
        summary.status, summary.error_kind, summary.retry_at = (
            "try-later",
            "try-later",
            exc.retry_at,
        )
    else:
        summary.status = "failed"
        summary.error_kind = (
            "credential"
            if isinstance(exc, CredentialRejected)
            else "config"
            if isinstance(exc, ConfigError)
            else "failed"
        )
    summary.error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"


def _query_key(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:32]


def _run_one(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    collector: Collector,
    clock: Clock,
    summary: RunSummary,
    progress: Progress | None,
) -> None:
    key = _query_key(collector.query)
    with transaction(sessions) as session:
        run = HarvestRun(
            campaign_id=loaded.id,
            platform=collector.platform,
            query=collector.query,
            config_hash=loaded.config_hash,
            host=socket.gethostname(),
            started_at=clock.now(),
            status="running",
        )
        session.add(run)
        session.flush()
        run_id = run.id
        ref = RunRef(run_id, collector.platform, collector.query, loaded.config_hash)
        cursor = session.get(HarvestCursor, (loaded.id, collector.platform, key))
        position: dict[str, Any] = dict(cursor.position) if cursor else {}
    summary.run_id = run_id
    error: BaseException | None = None
    limit = getattr(
        getattr(loaded.settings.platforms, collector.platform, None), "max_pages_per_run", 1000
    )
    try:
        for page in _pages(collector, position, run_id, limit):
            position = page.position
            _store_page(sessions, loaded, collector, key, ref, page, clock, summary)
            if progress:
                progress(collector.platform, len(page.posts))
        with transaction(sessions) as session:
            _save_cursor(session, loaded, collector, key, run_id, collector.finish(position), clock)
    except (StorydeskError, Exception) as exc:  # noqa: BLE001 - recorded on the run, then reported
        error = exc
        _fail(summary, exc)
        if not isinstance(exc, StorydeskError):
            summary.error = f"{collector.platform}: run {run_id}: {summary.error}"
    with transaction(sessions) as session:
        run = session.get_one(HarvestRun, run_id)
        run.finished_at = clock.now()
        run.status = "ok" if error is None else summary.status
        if error is not None:
            run.error, run.error_kind, run.retry_at = (
                summary.error,
                summary.error_kind,
                summary.retry_at,
            )


def _pages(
    collector: Collector, position: dict[str, Any], run_id: int, limit: int
) -> Iterator[Page]:
    """The collector's pages, stopped when the server loops: a cursor seen before in this
    run, or a page of posts every one of which this run has already had. A run also stops
    after `limit` pages; the cursor is kept, so the next run goes on from there."""
    cursors: set[str] = set()
    seen: set[str] = set()
    pages = collector.pages(position)
    if getattr(collector, "fetch_ahead", False):
        pages = _fetched_ahead(pages, limit)
    for number, page in enumerate(pages, start=1):
        if page.posts:
            cursor = page.cursor or json.dumps(page.position, sort_keys=True, default=str)
            ids = {p.native_id for p in page.posts}
            if cursor in cursors or ids <= seen:
                what = "a cursor it had sent before" if cursor in cursors else "nothing new"
                raise WorkFailed(
                    f"{collector.platform}: run {run_id}: the server answered with {what} "
                    f"(cursor {page.cursor or _shown(page.position)}): stopped; "
                    "the posts before it are stored"
                )
            cursors.add(cursor)
            seen |= ids
        yield page
        if number >= limit:
            raise TryLater(
                f"{collector.platform}: run {run_id}: stopped after {limit} pages "
                f"(max_pages_per_run); the next run goes on from cursor {_shown(page.position)}"
            )


def _fetched_ahead(pages: Iterator[Page], limit: int) -> Iterator[Page]:
    """The same pages, the next one asked for while the caller stores this one, so waiting
    for the platform's answer overlaps the storing. One page ahead at most and never past
    `limit`: a page fetched but not stored (the run stopped) is asked for again by the next
    run, whose cursor has not moved past it. Only for collectors whose pages touch nothing
    but the network (a quota read from the database would miss the page being stored)."""
    pending: SimpleQueue[tuple[Page | None, BaseException | None]] | None = _ask(pages)
    number = 0
    while pending is not None:
        page, error = pending.get()
        if error is not None:
            raise error
        if page is None:
            return
        number += 1
        pending = _ask(pages) if number < limit else None
        yield page


def _ask(pages: Iterator[Page]) -> SimpleQueue[tuple[Page | None, BaseException | None]]:
    """The next page, fetched by a thread of its own. A daemon: a run stopped by an error
    or Ctrl-C returns at once, and the process exits, without waiting for a request in
    flight (or a rate-limit wait) whose page nobody will store."""
    answer: SimpleQueue[tuple[Page | None, BaseException | None]] = SimpleQueue()

    def fetch() -> None:
        try:
            answer.put((next(pages, None), None))
        except BaseException as exc:  # noqa: BLE001 - raised in the storing thread, which
            answer.put((None, exc))  # would otherwise wait for an answer that never comes

    threading.Thread(target=fetch, name="fetch-ahead", daemon=True).start()
    return answer


def _shown(position: dict[str, Any]) -> str:
    text = json.dumps(position, sort_keys=True, default=str, ensure_ascii=True)
    return text if len(text) <= 200 else text[:199] + "…"


def _store_page(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    collector: Collector,
    key: str,
    run: RunRef,
    page: Page,
    clock: Clock,
    summary: RunSummary,
) -> None:
    now = clock.now()
    posts, rejected = validate(page.posts)
    summary.rejected += page.unreadable + [r.line() for r in rejected]
    with transaction(sessions) as session:
        stored = store_posts(session, loaded, run, posts, now)
        _save_cursor(session, loaded, collector, key, run.id, page.position, clock)
        # counters moved in the database, without loading the run row for every page
        session.execute(
            COUNTED,
            {
                "of_run": run.id,
                "more_requests": page.requests,
                "more_units": page.quota_units,
                "more_new": stored.new,
                "more_updated": stored.updated,
                "more_skipped": stored.skipped,
            },
        )
        credential = loaded.settings.quota_credential(collector.platform)
        if page.quota_units:
            quota.spend(session, collector.platform, credential, page.quota_units, now)
        for bucket, units in page.quota_buckets.items():
            key = quota.ledger_key(collector.platform, bucket)
            quota.spend(session, key, credential, units, now)
    summary.new += stored.new
    summary.updated += stored.updated
    summary.skipped += stored.skipped
    summary.requests += page.requests
    summary.quota_units += page.quota_units


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _param(name: str, column: Any) -> BindParameter[Any]:
    return bindparam(name, type_=column.type)


# The two statements of every page, built once: SQLAlchemy works out a statement's cache key
# on its first run and keeps it, where building one again and its key cost more than running
# it. No parameter is named as a column (SQLAlchemy keeps those names for its own).
_runs, _cursors = _table(HarvestRun), _table(HarvestCursor)
COUNTED = (
    update(_runs)
    .where(_runs.c.id == _param("of_run", _runs.c.id))
    .values(
        requests=_runs.c.requests + _param("more_requests", _runs.c.requests),
        quota_units=_runs.c.quota_units + _param("more_units", _runs.c.quota_units),
        new_count=_runs.c.new_count + _param("more_new", _runs.c.new_count),
        updated_count=_runs.c.updated_count + _param("more_updated", _runs.c.updated_count),
        skipped_count=_runs.c.skipped_count + _param("more_skipped", _runs.c.skipped_count),
    )
)
MOVED = (
    update(_cursors)
    .where(
        _cursors.c.campaign_id == _param("of_campaign", _cursors.c.campaign_id),
        _cursors.c.platform == _param("of_platform", _cursors.c.platform),
        _cursors.c.query_key == _param("of_key", _cursors.c.query_key),
    )
    .values(
        position=_param("to_position", _cursors.c.position),
        run_id=_param("of_run", _cursors.c.run_id),
        updated_at=_param("at", _cursors.c.updated_at),
    )
)


def _save_cursor(
    session: Session,
    loaded: LoadedCampaign,
    collector: Collector,
    key: str,
    run_id: int,
    position: dict[str, Any],
    clock: Clock,
) -> None:
    moved = session.execute(
        MOVED,
        {
            "of_campaign": loaded.id,
            "of_platform": collector.platform,
            "of_key": key,
            "to_position": position,
            "of_run": run_id,
            "at": clock.now(),
        },
    )
    if cast(CursorResult[Any], moved).rowcount == 0:
        session.add(
            HarvestCursor(
                campaign_id=loaded.id,
                platform=collector.platform,
                query_key=key,
                query=collector.query,
                position=position,
                run_id=run_id,
                updated_at=clock.now(),
            )
        )
        session.flush()


def known_authors(
    session: Session, campaign_id: str, platform: str, author_ids: list[str]
) -> set[str]:
    """Which of these authors have a stored post already."""
    if not author_ids:
        return set()
    found = session.scalars(
        select(Post.author_id)
        .where(
            Post.campaign_id == campaign_id,
            Post.platform == platform,
            Post.author_id.in_(author_ids),
        )
        .distinct()
    )
    return {a for a in found if a is not None}
