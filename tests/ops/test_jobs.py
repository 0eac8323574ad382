"""What is due and one cycle of it, with stub work and a fake clock, on both engines."""

from __future__ import annotations

import io
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock, FakeClock
from config.loader import load_campaign
from config.schema import LoadedCampaign
from db.models import Campaign, HarvestRun
from db.session import transaction
from storydesk.ops import locks
from storydesk.ops.jobs import Actions, Outcome, Runner, exit_code, plan
from storydesk.ops.logs import EventLog
from tests.sandboxed import campaign_text


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedCampaign:
    text = campaign_text("http://127.0.0.1:9", tmp_path)
    (tmp_path / "c.toml").write_text(text)
    return load_campaign(tmp_path / "c.toml")


class Stubs:
    """Records what ran; a harvest writes its run row as the real pipeline does."""

    def __init__(self, sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock):
        self.sessions, self.loaded, self.clock = sessions, loaded, clock
        self.calls: list[str] = []
        self.harvest_status: dict[str, str] = {}
        self.fail: dict[str, BaseException] = {}
        with transaction(sessions) as session:
            if session.get(Campaign, loaded.id) is None:
                session.add(Campaign(id=loaded.id, name="c", created_at=clock.now()))

    def run_row(self, platform: str, status: str, **extra: object) -> None:
        with transaction(self.sessions) as session:
            session.add(
                HarvestRun(
                    campaign_id=self.loaded.id,
                    platform=platform,
                    query="q",
                    config_hash="h",
                    host=socket.gethostname(),
                    started_at=self.clock.now(),
                    finished_at=None if status == "running" else self.clock.now(),
                    status=status,
                    **extra,
                )
            )

    def _call(self, name: str, then: Callable[[], Outcome]) -> Outcome:
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]
        return then()

    def harvest(self, platform: str, progress: Callable[[], None]) -> Outcome:
        def work() -> Outcome:
            status = self.harvest_status.get(platform, "ok")
            self.run_row(platform, status)
            progress()
            return Outcome(f"harvest:{platform}", status, {"new": 1})

        return self._call(f"harvest:{platform}", work)

    def actions(self) -> Actions:
        return Actions(
            harvest=self.harvest,
            match=lambda: self._call("match", lambda: Outcome("match", "ok")),
            publish=lambda: self._call("publish", lambda: Outcome("publish", "ok")),
            compliance=lambda: self._call("compliance", lambda: Outcome("compliance", "ok")),
        )


def runner(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: FakeClock, holder: str = "h:1"
) -> tuple[Runner, Stubs, io.StringIO]:
    stubs = Stubs(sessions, loaded, clock)
    out = io.StringIO()
    log = EventLog(out, clock=clock)
    return Runner(sessions, loaded, clock, stubs.actions(), log, holder=holder), stubs, out


def test_the_plan_follows_the_campaign_file(loaded: LoadedCampaign) -> None:
    jobs = {j.name: j.every for j in plan(loaded)}
    assert jobs == {
        "harvest:x": timedelta(minutes=15),
        "harvest:youtube": timedelta(hours=1),
        "harvest:instagram": timedelta(hours=2),
        "harvest:facebook": timedelta(hours=1),
        "harvest:bluesky": timedelta(minutes=30),
        "compliance": timedelta(hours=6),
        "publish": timedelta(minutes=10),
    }


def test_a_cycle_runs_what_is_due_in_order_then_nothing_until_the_next_interval(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    clock = FakeClock()
    run, stubs, log = runner(sessions, loaded, clock)
    outcomes = run.cycle(plan(loaded))
    assert stubs.calls == [
        "harvest:x", "match", "harvest:youtube", "match", "harvest:instagram", "match",
        "harvest:facebook", "match", "harvest:bluesky", "match", "compliance", "publish",
    ]  # fmt: skip
    assert exit_code(outcomes) == 0
    assert "event=job.done job=harvest:x status=ok" in log.getvalue()

    stubs.calls.clear()
    clock.advance(60)
    assert run.cycle(plan(loaded)) == [] and stubs.calls == []

    clock.advance(15 * 60)  # x (15m) and publish (10m) are due again; the rest are not
    run.cycle(plan(loaded))
    assert stubs.calls == ["harvest:x", "match", "publish"]


def test_try_later_is_respected_until_the_time_the_platform_named(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    clock = FakeClock()
    run, stubs, _ = runner(sessions, loaded, clock)
    x = [j for j in plan(loaded) if j.name == "harvest:x"]
    stubs.run_row("x", "try-later", retry_at=clock.now() + timedelta(hours=1))
    clock.advance(20 * 60)  # the interval has passed, the platform's wait has not
    assert run.due(x) == []
    clock.advance(41 * 60)
    assert run.due(x) == x


def test_exit_codes_failed_beats_try_later_beats_ok(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    clock = FakeClock()
    run, stubs, _ = runner(sessions, loaded, clock)
    stubs.harvest_status = {"youtube": "try-later"}
    assert exit_code(run.cycle(plan(loaded))) == 75
    clock.advance(3 * 3600)
    stubs.fail["harvest:x"] = RuntimeError("collector bug")
    outcomes = run.cycle(plan(loaded))
    failed = [o for o in outcomes if o.status == "failed"]
    assert [o.job for o in failed] == ["harvest:x"] and "collector bug" in str(failed[0].error)
    assert "harvest:facebook" in stubs.calls  # the others still ran
    assert exit_code(outcomes) == 1


def test_a_job_held_by_another_host_is_skipped(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    clock = FakeClock()
    run, stubs, log = runner(sessions, loaded, clock)
    assert locks.claim_lease(
        sessions, f"{loaded.id}:harvest:x", "other:9", clock.now(), timedelta(minutes=30)
    )
    outcomes = run.cycle(plan(loaded))
    assert "harvest:x" not in stubs.calls
    assert {"job": "harvest:x", "status": "skipped"}.items() <= vars(outcomes[0]).items()
    assert 'why="running or just run elsewhere"' in log.getvalue()


def test_two_hosts_on_one_database_share_a_cycle_without_repeating_work(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    clock = FakeClock()
    a, stubs_a, _ = runner(sessions, loaded, clock, "a:1")
    b, stubs_b, _ = runner(sessions, loaded, clock, "b:2")
    jobs = plan(loaded)
    # both see every job due; a takes the harvests, then b starts and finds them done
    due_b = b.due(jobs)
    harvest_jobs = [j for j in jobs if j.name.startswith("harvest:")]
    for job in a.due(jobs)[: len(harvest_jobs)]:
        a.run(job)
    for job in due_b:
        b.run(job)
    harvests = [c for c in stubs_a.calls + stubs_b.calls if c.startswith("harvest:")]
    assert sorted(harvests) == sorted(set(harvests)) and len(harvests) == len(harvest_jobs)
    assert "compliance" in stubs_b.calls and "publish" in stubs_b.calls


class Stop(BaseException):
    pass


def test_a_stopped_harvest_is_recorded_as_abandoned_and_its_lease_freed(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    clock = FakeClock()
    run, stubs, _ = runner(sessions, loaded, clock)

    def interrupted(platform: str, progress: Callable[[], None]) -> Outcome:
        stubs.run_row(platform, "running")
        raise Stop()

    run.actions.harvest = interrupted
    x = [j for j in plan(loaded) if j.name == "harvest:x"][0]
    with pytest.raises(Stop):
        run.run(x)
    with sessions() as session:
        row = session.scalars(select(HarvestRun)).one()
        assert row.status == "failed" and "abandoned" in (row.error or "")
        assert locks.lease_holder(session, f"{loaded.id}:harvest:x", clock.now()) is None
