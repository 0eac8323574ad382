"""The daemon loop in-process with stub work: intervals, no overlap, stopping on signals."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import SystemClock
from config.loader import load_campaign
from config.schema import LoadedCampaign
from db.models import HarvestRun
from platforms import registry
from storydesk.ops.daemon import Daemon
from storydesk.ops.jobs import Outcome, Runner, plan
from storydesk.ops.logs import EventLog
from tests.ops.test_jobs import Stubs
from tests.sandboxed import campaign_text


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedCampaign:
    text = campaign_text("http://127.0.0.1:9", tmp_path, every="1s")
    for name in registry.names("harvest"):  # X only
        if name != "x":
            text = text.replace(f"[platforms.{name}]\n", f"[platforms.{name}]\nenabled = false\n")
    (tmp_path / "c.toml").write_text(text + "\n[operations]\njitter_seconds = 0\n")
    return load_campaign(tmp_path / "c.toml")


@pytest.fixture
def sessions(sqlite_url: str) -> sessionmaker[Session]:
    from db.session import make_engine, make_session_factory

    return make_session_factory(make_engine(sqlite_url))


def make_daemon(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, grace: float = 0.5
) -> tuple[Daemon, Stubs, io.StringIO]:
    clock = SystemClock()
    stubs = Stubs(sessions, loaded, clock)
    out = io.StringIO()
    log = EventLog(out, clock=clock)
    runner = Runner(sessions, loaded, clock, stubs.actions(), log)
    return Daemon(runner, plan(loaded), log, 0, grace_seconds=grace), stubs, out


def signal_after(seconds: float, sig: int = signal.SIGTERM) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), sig))
    timer.start()
    return timer


# The daemon's minute on the wall clock (schedule reads datetime.now itself): not in the
# unit tier, where a loaded machine would make its timing assertions flaky.
@pytest.mark.slow
def test_jobs_repeat_at_their_interval_never_overlapping_and_sigterm_stops_it(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    daemon, stubs, log = make_daemon(sessions, loaded)
    active: list[int] = [0]
    most: list[int] = [0]
    harvest = stubs.harvest

    def slow_harvest(platform: str, progress: Callable[[], None]) -> Outcome:
        active[0] += 1
        most[0] = max(most[0], active[0])
        try:
            time.sleep(1.2)  # longer than the 1 s interval
            return harvest(platform, progress)
        finally:
            active[0] -= 1

    daemon.runner.actions.harvest = slow_harvest
    signal_after(3.5)
    started = time.monotonic()
    assert daemon.run() == 0
    assert time.monotonic() - started < 4.5
    assert stubs.calls.count("harvest:x") >= 2
    assert stubs.calls.count("publish") >= 2 and stubs.calls.count("match") >= 2
    assert most[0] == 1
    assert "event=daemon.stopping signal=SIGTERM" in log.getvalue()
    assert "event=daemon.stopped seconds_after_signal=" in log.getvalue().splitlines()[-1]


def test_sigint_while_idle_stops_at_once(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    daemon, _, _ = make_daemon(sessions, loaded)
    signal_after(0.5, signal.SIGINT)
    started = time.monotonic()
    assert daemon.run() == 0
    assert time.monotonic() - started < 1.5


def test_a_job_that_ends_within_the_grace_period_is_finished(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    daemon, stubs, log = make_daemon(sessions, loaded, grace=3)
    harvest = stubs.harvest

    def harvest_a_second(platform: str, progress: Callable[[], None]) -> Outcome:
        time.sleep(1)
        return harvest(platform, progress)

    daemon.runner.actions.harvest = harvest_a_second
    signal_after(0.3)
    assert daemon.run() == 0
    assert "event=job.done job=harvest:x status=ok" in log.getvalue()
    with sessions() as session:
        assert [r.status for r in session.scalars(select(HarvestRun))] == ["ok"]


def test_a_job_still_running_after_the_grace_period_is_abandoned_safely(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    daemon, stubs, log = make_daemon(sessions, loaded, grace=0.5)

    def endless(platform: str, progress: Callable[[], None]) -> Outcome:
        stubs.run_row(platform, "running")
        time.sleep(60)
        raise AssertionError("not reached")

    daemon.runner.actions.harvest = endless
    before = signal.getsignal(signal.SIGTERM)
    signal_after(0.3)
    started = time.monotonic()
    assert daemon.run() == 0
    assert time.monotonic() - started < 2
    assert "event=daemon.abandon job=harvest:x" in log.getvalue()
    with sessions() as session:
        run = session.scalars(select(HarvestRun)).one()
        assert run.status == "failed" and "abandoned" in (run.error or "")
    assert signal.getsignal(signal.SIGTERM) == before  # the handlers are put back
