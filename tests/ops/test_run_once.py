"""`run-once` for cron: everything due once, exit codes, and the lock between two runs."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from db.models import HarvestRun
from db.session import make_engine
from sandbox.constants import HASHTAGS
from storydesk.ops import locks
from tests.sandboxed import Setup, load, session_factory


def test_run_once_does_what_is_due_then_nothing_until_the_interval(ready: Setup) -> None:
    first = ready.cli("run-once")
    assert first.exit_code == 0, first.stderr
    for job in ("harvest:x", "harvest:youtube", "harvest:instagram", "harvest:facebook"):
        assert f"{job}: ok (new " in first.stdout
    assert "match: ok" in first.stdout and "compliance: ok" in first.stdout
    assert "event=run.start" in first.stderr and "event=job.done job=harvest:x" in first.stderr
    second = ready.cli("run-once")
    assert second.exit_code == 0 and second.stdout.strip() == "nothing was due"


def test_a_run_while_the_lock_is_held_exits_75_at_once_naming_the_holder(ready: Setup) -> None:
    loaded = load(ready)
    engine = make_engine(ready.db_url)
    lock = locks.run_lock(engine, loaded.id, None, "cronhost:4242", datetime.now(UTC))
    try:
        with lock:
            started = time.monotonic()
            outcome = ready.cli("run-once")
            assert time.monotonic() - started < 2
    finally:
        engine.dispose()
    assert outcome.exit_code == 75
    assert outcome.stderr.count("\n") == 1
    assert "another storydesk run holds the lock" in outcome.stderr
    assert "cronhost:4242" in outcome.stderr
    with session_factory(ready.db_url)() as session:
        assert session.scalar(select(func.count()).select_from(HarvestRun)) == 0


# slow: two real processes racing for the lock while X answers 3 s late
@pytest.mark.slow
def test_two_runs_at_the_same_moment_one_works_the_other_exits_75(ready: Setup) -> None:
    # the first search answers slowly, so whichever run gets the lock holds it a while
    ready.control("faults", {"platform": "x", "kind": "slow", "delay": 3, "count": 1})
    command = ready.command("run-once")
    runs = [
        subprocess.Popen(
            command,
            env=ready.subprocess_env(),
            cwd=ready.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(r.wait(timeout=120), *r.communicate()) for r in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 75], results
    refused = next(err for code, _, err in results if code == 75)
    assert "another storydesk run holds the lock" in refused
    assert refused.strip().count("\n") == 0  # one line
    with session_factory(ready.db_url)() as session:
        per_platform = session.execute(
            select(HarvestRun.platform, func.count()).group_by(HarvestRun.platform)
        ).all()
    # one run row per query: a hashtag each on Instagram and Bluesky
    per_tag = len(HASHTAGS)
    assert dict(per_platform) == {
        "x": 1,
        "youtube": 1,
        "instagram": per_tag,
        "facebook": 1,
        "bluesky": per_tag,
    }


def test_only_try_later_exits_75(ready: Setup) -> None:
    ready.control("faults", {"platform": "x", "kind": "429", "count": 1})
    outcome = ready.cli("run-once")
    assert outcome.exit_code == 75, outcome.stdout + outcome.stderr
    assert "harvest:x: try-later" in outcome.stdout
    assert "harvest:youtube: ok" in outcome.stdout
