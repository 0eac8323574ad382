"""Publishing in a hostile world: one target's garbled answer or rate limit never stops the
cycle for the others; what is transient is retried later, and what may have gone out is
asked about before anything is sent again (never posted twice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.clock import SystemClock
from tests.publisher.flow import QUICK, approve_matched, by_state, create_target, outbox
from tests.sandboxed import Setup, make_setup


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back-off between tries is the injected clock's sleep: no wall time here."""
    monkeypatch.setattr(SystemClock, "sleep", lambda self, seconds: None)


def _setup(tmp_path: Path, sandbox: Any, db_url: str) -> Setup:
    return make_setup(tmp_path, sandbox.base_url, db_url, targets=QUICK)


def _creates(setup: Setup) -> list[str]:
    writes = setup.stats().get("writes", [])
    return [t for w in writes if (t := create_target(w))]


def test_a_garbled_answer_at_one_target_never_stops_the_others(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = _setup(tmp_path, sandbox, db_url)
    approve_matched(setup)
    setup.control("faults", {"platform": "youtube", "kind": "garbled", "count": 1})
    setup.control("faults", {"platform": "linkedin", "kind": "garbled", "count": 1})
    first = setup.cli("publish")
    assert "Traceback" not in first.stderr and "unexpected error" not in first.stderr
    assert first.exit_code == 1, first.stderr
    rows = outbox(setup.db_url)
    # every other row of every target went out in the same cycle
    assert all(r.state == "done" for r in rows if r.target in ("x", "facebook", "gallery"))
    unsettled = [r for r in rows if r.state != "done"]
    assert {r.target for r in unsettled} <= {"youtube", "linkedin"}
    assert all(r.last_error for r in unsettled)
    assert "youtube" in first.stderr and "linkedin" in first.stderr
    # the next cycle asks before sending again: everything ends done, nothing twice
    second = setup.cli("publish")
    assert second.exit_code == 0, second.stderr
    rows = outbox(setup.db_url)
    assert by_state(rows, "done") == by_state(rows, "done") + by_state(rows, "queued")
    assert all(r.state == "done" for r in rows), [(r.target, r.state) for r in rows]
    creates = _creates(setup)
    for target in ("youtube", "linkedin"):
        assert creates.count(target) == sum(1 for r in rows if r.target == target)


def test_a_rate_limit_on_the_playlist_insert_is_retried_later_not_given_up(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from db.models import Publication
    from db.session import make_engine

    setup = _setup(tmp_path, sandbox, db_url)
    approve_matched(setup)
    setup.control("faults", {"platform": "youtube", "kind": "429", "count": 10})
    outcome = setup.cli("publish")
    assert outcome.exit_code in (1, 75), outcome.stderr
    engine = make_engine(setup.db_url)
    with Session(engine) as session:
        limited = [
            p
            for p in session.scalars(select(Publication).where(Publication.target == "youtube"))
            if p.state != "done"
        ]
    engine.dispose()
    assert limited, "the 429 met a playlist insert"
    assert all(p.next_attempt_at is not None for p in limited)  # retried later
    assert all(p.state in ("failed", "queued") for p in limited)
    assert all(r.state == "done" for r in outbox(setup.db_url) if r.target == "x")
