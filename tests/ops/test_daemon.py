"""The daemon loop in-process with stub work: intervals and no overlap on a fake clock,
stopping on real signals."""

from __future__ import annotations

import datetime
import io
import os
import signal
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest
import schedule
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock, FakeClock, SystemClock
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
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    grace: float = 0.5,
    clock: Clock | None = None,
) -> tuple[Daemon, Stubs, io.StringIO]:
    clock = clock or SystemClock()
    stubs = Stubs(sessions, loaded, clock)
    out = io.StringIO()
    log = EventLog(out, clock=clock)
    runner = Runner(sessions, loaded, clock, stubs.actions(), log)
    daemon = Daemon(runner, plan(loaded), log, 0, grace_seconds=grace, clock=clock)
    return daemon, stubs, out


def signal_after(seconds: float, sig: int = signal.SIGTERM) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), sig))
    timer.start()
    return timer


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """One fake clock for the daemon, its jobs, its log and `schedule` (which reads
    datetime.datetime.now itself: its module's `datetime` is replaced for this test only)."""
    clock = FakeClock()

    class FakeDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> FakeDatetime:  # type: ignore[override]
            at = clock.now()
            naive = at.astimezone(tz) if tz else at.replace(tzinfo=None)
            return cls.combine(naive.date(), naive.time(), naive.tzinfo)

    fake = types.SimpleNamespace(**vars(datetime))
    fake.datetime = FakeDatetime
    monkeypatch.setattr(schedule, "datetime", fake)
    return clock


class SignalAt:
    """A FakeClock whose sleep delivers SIGTERM once `at` seconds of fake time have passed:
    the daemon sees the signal exactly as from `kill`, at a moment the test chose."""

    def __init__(self, clock: FakeClock, at: float) -> None:
        self.clock, self.due = clock, clock.now() + datetime.timedelta(seconds=at)
        self.sent = False

    def now(self) -> datetime.datetime:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)
        if not self.sent and self.clock.now() >= self.due:
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)


def test_jobs_repeat_at_their_interval_never_overlapping_and_sigterm_stops_it(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, fake_time: FakeClock
) -> None:
    clock = SignalAt(fake_time, 3.5)
    daemon, stubs, log = make_daemon(sessions, loaded, clock=clock)
    active: list[int] = [0]
    most: list[int] = [0]
    harvest = stubs.harvest

    def slow_harvest(platform: str, progress: Callable[[], None]) -> Outcome:
        active[0] += 1
        most[0] = max(most[0], active[0])
        try:
            clock.sleep(1.2)  # longer than the 1 s interval
            return harvest(platform, progress)
        finally:
            active[0] -= 1

    daemon.runner.actions.harvest = slow_harvest
    started = fake_time.now()
    assert daemon.run() == 0
    took = (fake_time.now() - started).total_seconds()
    assert 3.5 <= took < 4.5  # stopped within a wait slice of the signal
    # 1 s intervals over 3.5 s, each harvest taking 1.2 s: two or three of each
    assert 2 <= stubs.calls.count("harvest:x") <= 3
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
