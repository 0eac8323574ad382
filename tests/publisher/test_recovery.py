"""The outbox's edge cases, made on purpose: a rate limit holds the whole target back
until its reset, and a publication left in-flight by a dead publisher for a target that
cannot carry it is settled as skipped, not failed."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import Publication
from db.session import make_engine
from tests.publisher.flow import approve_matched, outbox
from tests.sandboxed import Setup, make_setup

DEAD = f"{socket.gethostname()}:{2**22 + 12345}"  # above Linux's pid_max: never alive


def x_requests(setup: Setup) -> int:
    """Every request X received, injected 429s included (they never reach the writes log)."""
    return sum(setup.stats()["requests"].get("x", {}).values())


def test_a_429_holds_every_due_publication_of_the_target_until_the_reset(
    tmp_path: Any, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, targets=("x",))
    approve_matched(setup)
    setup.control("faults", {"platform": "x", "kind": "429", "count": 1})
    harvested = x_requests(setup)

    first = setup.cli("publish")
    assert first.exit_code == 75, first.stdout + first.stderr
    assert "rate limited" in first.stderr
    assert x_requests(setup) == harvested + 1  # stopped at the first 429
    rows = outbox(setup.db_url)
    engine = make_engine(setup.db_url)
    with Session(engine) as session:
        due = [session.get_one(Publication, r.id).next_attempt_at for r in rows]
    engine.dispose()
    now = datetime.now(UTC).replace(tzinfo=None)
    assert all(at is not None and at.replace(tzinfo=None) > now for at in due)

    again = setup.cli("publish")  # a later cycle, or another host, before the reset
    assert again.exit_code == 0 and again.stdout.strip() == "nothing was due"
    assert x_requests(setup) == harvested + 1
    assert {r.state for r in outbox(setup.db_url)} <= {"queued", "failed"}


@pytest.mark.world(posts=60)
def test_in_flight_rows_of_a_dead_publisher_for_targets_that_cannot_carry_them_are_skipped(
    ready: Setup,
) -> None:
    approve_matched(ready)
    planned = ready.cli("publish", "--dry-run").stdout.splitlines()
    skipped = {line.split(":")[0] for line in planned if ": skip (" in line}
    engine = make_engine(ready.db_url)
    with Session(engine) as session, session.begin():
        rows = session.query(Publication).all()
        no_copy = {r.id for r in rows if f"testimony {r.testimony_id} → {r.target}" in skipped}
        session.execute(
            update(Publication)
            .where(Publication.id.in_(no_copy))
            .values(state="in-flight", claimed_by=DEAD, claimed_at=datetime.now(UTC), attempts=1)
        )
    engine.dispose()
    targets = {r.target for r in outbox(ready.db_url) if r.id in no_copy}
    # (X and YouTube are never queued without a copy there that may go out)
    assert {"instagram", "tiktok"} <= targets

    cycle = ready.cli("publish")
    assert cycle.exit_code == 0, cycle.stdout + cycle.stderr
    after = {r.id: r for r in outbox(ready.db_url)}
    assert {after[i].state for i in no_copy} == {"skipped"}
    assert all(after[i].skip_reason and not after[i].last_error for i in no_copy)
