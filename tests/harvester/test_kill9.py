"""kill -9 a harvest at random moments, then run it again: the posts end up exactly those of
an uninterrupted run, each stored once (pages and cursors commit together)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.harvester.support import expected, stored, stored_set
from tests.sandboxed import Setup, campaign_text

POSTS, SEED = 120, 11


@contextmanager
def world() -> Iterator[Any]:
    """One sandbox per run, so its request counter tells when that harvest has begun."""
    from sandbox.server import start_sandbox

    server = start_sandbox(port=0, posts=POSTS, seed=SEED, youtube_daily_quota=10**9)
    try:
        yield server
    finally:
        server.stop()


def _setup(where: Path, server: Any, db_url: str) -> Setup:
    where.mkdir(exist_ok=True)
    config = where / "campaign.toml"
    config.write_text(campaign_text(server.base_url, where))
    return Setup(where, config, db_url, server.base_url)


def _requests(server: Any) -> int:
    with server.state.lock:
        return sum(sum(per.values()) for per in server.state.requests.values())


def _run(setup: Setup, server: Any, kill_at: float | None = None) -> tuple[int, float]:
    """The CLI as a real process. With kill_at, SIGKILL it that many seconds after its first
    request (process start-up is not what we are testing). Returns the exit status and how
    long the harvest ran from its first request."""
    process = subprocess.Popen(
        setup.command("harvest"),
        env=setup.subprocess_env(),
        cwd=setup.path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while _requests(server) == 0 and process.poll() is None:
        time.sleep(0.005)
    began = time.monotonic()
    if kill_at is not None:
        try:
            process.wait(timeout=kill_at)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
    _, err = process.communicate(timeout=120)
    assert process.returncode in (0, -signal.SIGKILL), err
    return process.returncode, time.monotonic() - began


def _kill_and_rerun(
    tmp_path: Path, new_db: Callable[[Path], str], databases: int, kills: int
) -> None:
    """`databases` harvests side by side, each killed `kills` times in a row (so a run that
    resumes a killed one is killed too), then run to the end once."""
    with world() as server:
        baseline = _setup(tmp_path / "baseline", server, new_db(tmp_path / "baseline"))
        code, span = _run(baseline, server)
        assert code == 0
        uninterrupted = stored_set(baseline.db_url)
        assert uninterrupted == expected(server)

    rng = random.Random(20261125)
    # up to 1.5 times the uninterrupted span: runs side by side are slower than one alone
    delays = [[rng.uniform(0, 1.5 * span) for _ in range(kills)] for _ in range(databases)]

    def trial(i: int) -> tuple[list[tuple[int, int]], Setup]:
        where = tmp_path / f"db{i}"
        db_url = new_db(where)
        outcomes = []
        for delay in delays[i]:
            with world() as server:
                setup = _setup(where, server, db_url)
                code, _ = _run(setup, server, kill_at=delay)
                rows = stored(db_url)
                assert len(rows) == len(set(rows)), f"duplicates after a kill at {delay:.2f}s"
                outcomes.append((code, len(rows)))
        return outcomes, setup

    with ThreadPoolExecutor(databases) as pool:
        results = list(pool.map(trial, range(databases)))
    for (_, setup), kill_delays in zip(results, delays, strict=True):
        with world() as server:
            setup = _setup(setup.path, server, setup.db_url)
            assert setup.cli("harvest").exit_code == 0
            rows = stored(setup.db_url)
            assert len(rows) == len(set(rows)), f"duplicates after kills at {kill_delays}"
            assert set(rows) == uninterrupted == expected(server), f"kills at {kill_delays}"
    outcomes = [o for per_db, _ in results for o in per_db]
    assert len(outcomes) == databases * kills
    killed = [n for code, n in outcomes if code == -signal.SIGKILL]
    assert killed, "every run finished before its kill"
    if len(outcomes) >= 10:
        # the kills must land inside the harvest too, not only before or after it
        assert any(0 < n < len(uninterrupted) for n in killed), outcomes


# slow: real processes killed at random moments, 21 harvests
@pytest.mark.slow
def test_kill_9_at_random_moments_then_a_rerun_stores_everything_once_sqlite(
    tmp_path: Path, sqlite_template: Path
) -> None:
    def new_db(where: Path) -> str:
        where.mkdir(exist_ok=True)
        shutil.copyfile(sqlite_template, where / "storydesk.db")
        return f"sqlite:///{where / 'storydesk.db'}"

    _kill_and_rerun(tmp_path, new_db, databases=5, kills=4)


# slow: real processes killed at random moments
@pytest.mark.slow
def test_kill_9_then_a_rerun_stores_everything_once_postgresql(
    tmp_path: Path, pg_server: Any
) -> None:
    from tests.conftest import new_pg_database

    _kill_and_rerun(tmp_path, lambda _where: new_pg_database(pg_server), databases=1, kills=2)
