"""Daemons for real, as subprocesses against the sandbox, with intervals of seconds.

One daemon on SQLite: it harvests, matches and publishes repeatedly, and SIGTERM stops it
within 5 s with nothing half-done. Two daemons on one PostgreSQL: they share the work, and
no post is stored twice, no publication made twice.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db import models
from db.models import HarvestRun, Post, Publication
from tests.pgserver import PostgresServer
from tests.sandboxed import Setup, make_setup, session_factory

TARGETS = ("x", "youtube", "gallery")
EXTRA = "[operations]\njitter_seconds = 1\n"
# The issue asks for a minute of daemon life against the sandbox, not a token few seconds.
RUN_SECONDS = 60
# SIGTERM ends the daemon once the job in hand is done, not after its interval or the rest
# of the cycle; on a loaded 2-core CI machine one job can take a few seconds
STOP_WITHIN = 20


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def start_daemon(setup: Setup, name: str) -> tuple[subprocess.Popen[str], Path]:
    log = setup.path / f"{name}.log"
    process = subprocess.Popen(
        setup.command("daemon", "--log-json"),
        env=setup.subprocess_env(),
        cwd=setup.path,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
    )
    return process, log


def stop(process: subprocess.Popen[str]) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=STOP_WITHIN + 10) == 0
    return time.monotonic() - started


def events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def matched_ids(setup: Setup) -> list[int]:
    with session_factory(setup.db_url)() as session:
        return list(
            session.scalars(
                select(models.Testimony.id)
                .where(
                    models.Testimony.consent_state == "matched",
                    models.Testimony.review_state == "pending",
                    # matched and no rule problem: approval sends at least one copy
                    models.Testimony.priority == 0,
                )
                .order_by(models.Testimony.id)
            )
        )


def publish_runs(logs: list[Path]) -> int:
    """Publish jobs that published something, as the daemons logged them."""
    return sum(
        1
        for log in logs
        for e in events(log)
        if e["event"] == "job.done" and e["job"] == "publish" and e.get("published")
    )


def approve_some(setup: Setup, ids: list[int]) -> None:
    """Approve as staff would; a testimony whose form allows no enabled target is refused
    (exit 1) while the others go out, so the test needs only that some were approved."""
    answers = json.loads(setup.cli("approve", *map(str, ids), "--json").stdout)
    assert any(a["ok"] for a in answers), answers


def exercise(setup: Setup, seconds: float, logs: list[Path]) -> None:
    """What staff and the world do while the daemons run: approvals in two batches (the
    second once the first publish job is over), new posts on the platforms."""
    started = time.monotonic()
    first = wait_for(lambda: matched_ids(setup)[:3], 30, "a harvest and a match")
    approve_some(setup, first)
    wait_for(lambda: publish_runs(logs) >= 1, 30, "the first publications")
    setup.control("posts", {"count": 8})
    second = wait_for(
        lambda: [i for i in matched_ids(setup) if i not in first][:3], 30, "more matches"
    )
    approve_some(setup, second)
    wait_for(lambda: publish_runs(logs) >= 2, 30, "the second publications")
    setup.control("posts", {"count": 8})
    time.sleep(max(seconds - (time.monotonic() - started), 0))


def nothing_half_done(setup: Setup) -> None:
    with session_factory(setup.db_url)() as session:
        assert not session.scalars(select(HarvestRun).where(HarvestRun.status == "running")).all()
        assert not session.scalars(
            select(Publication).where(Publication.state == "in-flight")
        ).all()


def published_once(setup: Setup) -> None:
    """Each done publication went out exactly once: the sandbox saw one write for it."""
    writes = setup.stats()["writes"]
    retweets = Counter(
        w["path"] for w in writes if w["method"] == "POST" and w["path"].endswith("/retweets")
    )
    inserts = [w for w in writes if w["method"] == "POST" and "playlistItems" in w["path"]]
    with session_factory(setup.db_url)() as session:
        done = Counter(
            session.scalars(select(Publication.target).where(Publication.state == "done")).all()
        )
    assert sum(retweets.values()) == done["x"]
    assert len(inserts) == done["youtube"]
    assert len(setup.stats()["retweets"]) == done["x"]  # no tweet retweeted twice


@pytest.mark.slow
def test_a_daemon_harvests_matches_and_publishes_until_sigterm(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, "2s", EXTRA, TARGETS)
    process, log = start_daemon(setup, "daemon")
    try:
        exercise(setup, seconds=RUN_SECONDS, logs=[log])
    finally:
        took = stop(process)
    assert took < STOP_WITHIN
    lines = events(log)
    done = Counter(e["job"] for e in lines if e["event"] == "job.done" and e["status"] == "ok")
    assert done["harvest:x"] >= 3 and done["harvest:youtube"] >= 3 and done["match"] >= 6
    assert publish_runs([log]) >= 2  # two batches, published by two runs
    assert done["compliance"] >= 1
    found = [e.get("new", 0) for e in lines if e.get("job") == "harvest:x" and "new" in e]
    assert found[0] > 0 and sum(found[1:]) > 0  # later harvests found the newer posts
    assert (
        lines[-1]["event"] == "daemon.stopped" and lines[-1]["seconds_after_signal"] < STOP_WITHIN
    )
    assert not [e for e in lines if e["level"] == "error"], [
        e for e in lines if e["level"] == "error"
    ]
    nothing_half_done(setup)
    published_once(setup)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_daemons_on_one_postgresql_share_the_work_without_duplicates(
    tmp_path: Path, sandbox: Any, pg_server: PostgresServer
) -> None:
    from tests.conftest import new_pg_database

    setup = make_setup(tmp_path, sandbox.base_url, new_pg_database(pg_server), "2s", EXTRA, TARGETS)
    daemons = [start_daemon(setup, name) for name in ("host-a", "host-b")]
    try:
        exercise(setup, seconds=RUN_SECONDS, logs=[log for _, log in daemons])
    finally:
        took = [stop(process) for process, _ in daemons]
    assert max(took) < STOP_WITHIN
    with session_factory(setup.db_url)() as session:
        keys = session.execute(select(Post.platform, Post.native_id)).all()
        assert len(keys) == len(set(keys))  # no post stored twice
        runs = session.scalars(select(HarvestRun).order_by(HarvestRun.started_at)).all()
    # a platform's harvests never overlapped: one daemon at a time held it
    for platform in ("x", "youtube", "facebook"):
        mine = [r for r in runs if r.platform == platform]
        for before, after in zip(mine, mine[1:]):
            assert before.finished_at is not None and before.finished_at <= after.started_at
    worked = [
        Counter(e["job"] for e in events(log) if e["event"] == "job.done") for _, log in daemons
    ]
    assert all(sum(w.values()) > 0 for w in worked)  # both did a share
    assert all(sum(v for k, v in w.items() if k.startswith("harvest:")) > 0 for w in worked), worked
    nothing_half_done(setup)
    published_once(setup)
