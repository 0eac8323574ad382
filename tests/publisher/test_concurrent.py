"""Four publisher processes on one PostgreSQL share a large backlog: each publication is
claimed once and posted once, and all four did part of the work."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry
from db.session import make_engine
from tests.conftest import new_pg_database
from tests.pgserver import PostgresServer
from tests.publisher.flow import QUICK, approve_matched, by_state, creates, outbox
from tests.sandboxed import make_setup

# About 500 publications (350 that go out): the thousand is bench/publish.py's, where the
# time it takes is measured rather than waited for.
POSTS = 250
PROCESSES = 4


@pytest.fixture
def big_sandbox() -> Iterator[Any]:
    from sandbox.server import start_sandbox

    server = start_sandbox(port=0, posts=POSTS, seed=11)
    try:
        yield server
    finally:
        server.stop()


def claims(db_url: str) -> list[AuditEntry]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        found = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == "publication.in-flight")
            ).all()
        )
    engine.dispose()
    return found


@pytest.mark.slow
@pytest.mark.postgres
def test_four_publishers_on_postgresql_post_each_publication_exactly_once(
    tmp_path: Path, big_sandbox: Any, pg_server: PostgresServer
) -> None:
    setup = make_setup(tmp_path, big_sandbox.base_url, new_pg_database(pg_server), targets=QUICK)
    approve_matched(setup)
    queued = outbox(setup.db_url)
    # X and YouTube are queued only for testimonies with a copy there that may go out
    assert len(queued) >= 300

    publishers = [
        subprocess.Popen(
            setup.command("publish"),
            env=setup.subprocess_env(),
            cwd=setup.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    ended = [p.communicate(timeout=300) for p in publishers]
    for process, (out, err) in zip(publishers, ended, strict=True):
        assert process.returncode == 0, out + err

    rows = outbox(setup.db_url)
    assert {r.state for r in rows} <= {"done", "skipped"}
    done = by_state(rows, "done")
    assert sum(done.values()) >= 250
    posted = creates(setup.stats())
    assert posted == done - Counter({"gallery": done["gallery"]})
    externals = [r.external_id for r in rows if r.state == "done"]
    assert len(set(externals)) == len(externals)

    # Claimed once each (no row ran twice), and the work was shared by all four.
    taken = claims(setup.db_url)
    per_row = Counter(int(e.subject_id) for e in taken)
    assert set(per_row.values()) == {1} and len(per_row) == len(rows)
    workers = Counter(e.actor for e in taken)
    assert len(workers) == PROCESSES, workers
    assert min(workers.values()) >= len(rows) // (PROCESSES * 4), workers
    assert (setup.path / "gallery" / "index.html").exists()
