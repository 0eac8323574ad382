"""The run lock (file / advisory) and leases: who holds what, on both engines."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from config.errors import TryLater
from storydesk.ops import locks
from tests.pgserver import PostgresServer

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def test_a_second_file_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "storydesk.db.lock"
    with locks.FileLock(path, "hostA:111", NOW):
        with pytest.raises(TryLater) as caught:
            locks.FileLock(path, "hostB:222", NOW).acquire()
        assert "hostA:111" in caught.value.message
        assert str(path) in caught.value.message
    # released: the next run gets it
    with locks.FileLock(path, "hostB:222", NOW):
        pass


def test_the_file_lock_dies_with_its_process(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    code = (
        "import sys; from datetime import datetime, UTC; from storydesk.ops.locks import FileLock; "
        f"FileLock({str(path)!r}, 'gone:1', datetime.now(UTC)).acquire(); sys.exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
    with locks.FileLock(path, "me:2", NOW):  # the kernel released it when that process ended
        pass


@pytest.mark.postgres
def test_advisory_lock_is_exclusive_across_connections(pg_server: PostgresServer) -> None:
    from db.session import make_engine
    from tests.conftest import new_pg_database

    engine = make_engine(new_pg_database(pg_server))
    try:
        first = locks.run_lock(engine, "camp", None, "hostA:1", NOW)
        second = locks.run_lock(engine, "camp", None, "hostB:2", NOW)
        other_campaign = locks.run_lock(engine, "other", None, "hostB:2", NOW)
        with first:
            with pytest.raises(TryLater) as caught:
                second.acquire()
            assert "hostA:1" in caught.value.message
            with other_campaign:  # a different campaign's lock is independent
                pass
        with second:
            pass
    finally:
        engine.dispose()


def test_run_lock_for_sqlite_is_a_file_beside_the_database(sqlite_url: str) -> None:
    from db.session import make_engine, sqlite_path

    engine = make_engine(sqlite_url)
    lock = locks.run_lock(engine, "camp", None, "me:1", NOW)
    assert isinstance(lock, locks.FileLock)
    assert str(lock.path) == f"{sqlite_path(sqlite_url)}.lock"
    engine.dispose()


def test_a_lease_is_held_until_released_or_expired(sessions: sessionmaker[Session]) -> None:
    s = sessions
    assert locks.claim_lease(s, "c:harvest:x", "a:1", NOW, TTL) is not None
    assert locks.claim_lease(s, "c:harvest:x", "b:2", NOW, TTL) is None
    # other jobs are free
    assert locks.claim_lease(s, "c:harvest:youtube", "b:2", NOW, TTL) is not None
    # expired: anyone may take it
    later = NOW + TTL + timedelta(seconds=1)
    assert locks.claim_lease(s, "c:harvest:x", "b:2", later, TTL) is not None
    locks.release_lease(s, "c:harvest:x", "b:2", later)
    assert locks.claim_lease(s, "c:harvest:x", "a:1", later, TTL) is not None
    with s() as session:
        held = locks.lease_holder(session, "c:harvest:x", later)
        assert held is not None and held.holder == "a:1"
        assert locks.last_started(session, "c:harvest:x") == later


def test_a_lease_checks_the_last_start_in_the_same_claim(sessions: sessionmaker[Session]) -> None:
    s = sessions
    assert locks.claim_lease(s, "c:publish", "a:1", NOW, TTL) is not None
    locks.release_lease(s, "c:publish", "a:1", NOW + timedelta(seconds=5))
    soon = NOW + timedelta(minutes=1)
    # host b thought publish was due; it just ran on a: the claim says no
    assert (
        locks.claim_lease(
            s, "c:publish", "b:2", soon, TTL, started_before=soon - timedelta(minutes=10)
        )
        is None
    )
    later = NOW + timedelta(minutes=11)
    assert (
        locks.claim_lease(
            s, "c:publish", "b:2", later, TTL, started_before=later - timedelta(minutes=10)
        )
        is not None
    )


def test_a_lease_of_a_dead_process_on_this_host_is_taken_over(
    sessions: sessionmaker[Session],
) -> None:
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = f"{socket.gethostname()}:{dead.pid}"
    assert locks.claim_lease(sessions, "c:publish", holder, NOW, TTL) is not None
    me = f"{socket.gethostname()}:{os.getpid()}"
    assert locks.claim_lease(sessions, "c:publish", me, NOW, TTL) is not None
    # a live holder elsewhere is respected
    assert locks.claim_lease(sessions, "c:publish", "otherhost:1", NOW, TTL) is None
