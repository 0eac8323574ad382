"""Publishing in a hostile world: one target's garbled answer or rate limit never stops the
cycle for the others; what is transient is retried later, and what may have gone out is
asked about before anything is sent again (never posted twice)."""

from __future__ import annotations

import json
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


class _Unclear:
    """A target whose every answer leaves it unknown whether the post went out, and whose
    lookup finds nothing (or, when `lookup` says so, cannot answer at all)."""

    name = "linkedin"

    def __init__(self, lookup: Exception | None = None) -> None:
        self.sent: list[int] = []
        self.asked: list[int] = []
        self.lookup = lookup

    def describe(self, job: Any) -> str:
        return "post"

    def publish(self, job: Any) -> Any:
        from publisher.common import Unsure

        self.sent.append(job.publication_id)
        raise Unsure("linkedin: 200 without an id")

    def find_existing(self, job: Any) -> Any:
        self.asked.append(job.publication_id)
        if self.lookup is not None:
            raise self.lookup
        return None

    def take_down(self, job: Any) -> None:
        raise AssertionError("nothing went out")


def _unclear_setup(
    tmp_path: Path, sandbox: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, fake: _Unclear
) -> Setup:
    from publisher.registry import TargetRegistry

    setup = make_setup(tmp_path, sandbox.base_url, db_url, targets=("linkedin",))
    setup.config.write_text(
        setup.config.read_text().replace(
            '[publish]\nevery = "10m"', '[publish]\nevery = "10m"\nmax_attempts = 3'
        )  # fmt: skip
    )
    approve_matched(setup)
    monkeypatch.setattr(TargetRegistry, "get", lambda self, name: fake)
    return setup


def test_an_answer_that_never_says_whether_it_went_out_is_tried_a_bounded_number_of_times(
    tmp_path: Path, sandbox: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Unclear()
    setup = _unclear_setup(tmp_path, sandbox, db_url, monkeypatch, fake)
    rows = [r.id for r in outbox(setup.db_url) if r.target == "linkedin"]
    assert rows
    errors = ""
    for _ in range(6):  # twice max_attempts cycles: the later ones find nothing due
        cycle = setup.cli("publish")
        assert cycle.exit_code in (0, 1), cycle.stderr
        assert "Traceback" not in cycle.stderr and "unexpected error" not in cycle.stderr
        errors += cycle.stderr
    # sent max_attempts times each, asked about after each unclear answer, never more
    assert sorted(fake.sent) == sorted(rows * 3)
    assert sorted(fake.asked) == sorted(rows * 3)
    after = [r for r in outbox(setup.db_url) if r.target == "linkedin"]
    assert {r.state for r in after} == {"failed"}
    for row in after:
        assert row.last_error and "a person must check on linkedin" in row.last_error
        assert f"testimony {row.testimony_id} went out" in row.last_error
        # reported once, in the cycle that gave up
        assert errors.count(f"whether testimony {row.testimony_id} went out") == 1
    last = setup.cli("publish")
    assert last.exit_code == 0 and "linkedin" not in last.stderr
    status = setup.cli("status", "--json")
    failed = json.loads(status.stdout)["publications"]["failed"]
    assert {f["id"] for f in failed} == {r.id for r in after}
    assert not any(f["retry_scheduled"] for f in failed)


def test_a_lookup_that_cannot_answer_keeps_the_row_in_flight_and_never_sends_it_blind(
    tmp_path: Path, sandbox: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Unclear(lookup=TypeError("'NoneType' object is not subscriptable"))
    setup = _unclear_setup(tmp_path, sandbox, db_url, monkeypatch, fake)
    first = setup.cli("publish")
    rows = [r.id for r in outbox(setup.db_url) if r.target == "linkedin"]
    assert sorted(fake.sent) == sorted(rows)
    for _ in range(3):  # the lookup answers garbage: asked each cycle, nothing sent again
        cycle = setup.cli("publish")
        assert cycle.exit_code == 75, cycle.stderr
        assert "the next cycle asks again before anything is sent" in cycle.stderr
    assert sorted(fake.sent) == sorted(rows)
    assert {r.state for r in outbox(setup.db_url) if r.target == "linkedin"} == {"in-flight"}
    assert first.exit_code == 1
