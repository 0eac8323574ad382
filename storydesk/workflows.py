"""Wiring the parts together for commands, the daemon and the demo (the shell's job)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from config.errors import Outcome, exit_code
from config.workers import worker_id

if TYPE_CHECKING:
    from config.schema import LoadedCampaign
    from harvester.pipeline import Progress, RunSummary
    from storydesk.context import AppContext


@contextmanager
def _progress(enabled: bool, platforms: list[str]) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn

    with Bar(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} posts"),
        transient=True,
    ) as bar:
        tasks = {p: bar.add_task(f"harvesting {p}", total=None) for p in platforms}

        def advance(platform: str, count: int) -> None:
            bar.advance(tasks[platform], count)

        yield advance


def harvest_and_match(
    app: AppContext, loaded: LoadedCampaign, platforms: list[str] | None, progress_bar: bool = False
) -> list[RunSummary]:
    from harvester.pipeline import chosen_platforms, harvest

    sessions = app.sessions()
    chosen = chosen_platforms(loaded, platforms)
    _mark_interrupted(app, loaded, chosen)
    summaries: list[RunSummary] = []
    with _progress(progress_bar, chosen) as progress:
        for platform in chosen:
            with _harvest_lease(app, loaded, platform) as (busy, renew):
                if busy is not None:
                    summaries.append(busy)
                    continue

                def advance(name: str, count: int, renew: Callable[[], None] = renew) -> None:
                    renew()
                    if progress is not None:
                        progress(name, count)

                summaries += harvest(sessions, loaded, app.clock, [platform], advance)
    if importlib.util.find_spec("consent.matching") is not None:
        from consent.matching import match_all

        match_all(sessions, loaded, app.clock)
    return summaries


@contextmanager
def _harvest_lease(
    app: AppContext, loaded: LoadedCampaign, platform: str
) -> Iterator[tuple[RunSummary | None, Callable[[], None]]]:
    """The platform's harvest lease, as the daemon's job takes it, so that a harvest by hand
    never runs beside the daemon's (or another's) of the same platform: (a "try later"
    summary naming the holder, or None once the lease is ours; a renewer for long runs)."""
    from harvester.pipeline import RunSummary
    from storydesk.ops import locks
    from storydesk.ops.jobs import LEASE_TTL, lease_name

    sessions, clock = app.sessions(), app.clock
    name, holder = lease_name(loaded, f"harvest:{platform}"), worker_id()
    if locks.claim_lease(sessions, name, holder, clock.now(), LEASE_TTL) is None:
        with sessions() as session:
            current = locks.lease_holder(session, name, clock.now())
        who = current.holder if current is not None else "another process"
        busy = RunSummary(platform, status="try-later", error_kind="try-later")
        busy.error = (
            f"{platform} is already being harvested by {who}; this harvest was not run"
            " (the next one runs once that one is done)"
        )
        yield busy, lambda: None
        return
    try:
        yield None, locks.lease_renewer(sessions, name, holder, clock, LEASE_TTL)
    finally:
        locks.release_lease(sessions, name, holder, clock.now())


SHOWN_REJECTED = 10


def _mark_interrupted(app: AppContext, loaded: LoadedCampaign, platforms: list[str]) -> None:
    """Runs a killed process left "running", for platforms no daemon is harvesting now."""
    from storydesk.ops.jobs import lease_name
    from storydesk.ops.locks import lease_holder
    from storydesk.ops.outcomes import mark_interrupted

    now = app.clock.now()
    sessions = app.sessions()
    for platform in platforms:
        with sessions() as session:
            busy = lease_holder(session, lease_name(loaded, f"harvest:{platform}"), now)
        if busy is None:
            mark_interrupted(sessions, loaded.id, platform, now)


def print_harvest(summaries: list[RunSummary]) -> int:
    for s in summaries:
        line = (
            f"{s.platform}: {s.status}: {s.new} new, {s.updated} updated, {s.skipped} unchanged;"
            f" {s.requests} requests" + (f", {s.quota_units} quota units" if s.quota_units else "")
        )
        if s.error:
            line += f" — {s.error}"
        click.echo(line, err=s.status != "ok")
        for problem in s.rejected[:SHOWN_REJECTED]:
            click.echo(f"  {problem}", err=True)
        if len(s.rejected) > SHOWN_REJECTED:
            click.echo(f"  and {len(s.rejected) - SHOWN_REJECTED} more items skipped", err=True)
    # a person must fix the environment or the file first: bad configuration outranks failure
    return exit_code(
        Outcome.BAD_CONFIG
        if s.status == "failed" and s.error_kind in ("config", "credential")
        else s.status
        for s in summaries
    )
