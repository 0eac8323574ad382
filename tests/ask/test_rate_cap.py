"""The hourly cap holds over a thousand testimonies asked at once: never more than
consent.request.per_hour requests in any 60 minutes (the sandbox counts the replies), the
rest told to wait (exit 75), on an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config.clock import FakeClock
from consent.requests import SENT, ask
from db import models
from db.models import AuditEntry
from tests.ask.support import harvested, replies_made
from tests.sandboxed import Setup, load, make_setup, session_factory

CAP = 25


@pytest.fixture
def big_sandbox() -> Iterator[Any]:
    from sandbox.server import start_sandbox

    server = start_sandbox(port=0, posts=1800, seed=4)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_no_more_than_per_hour_over_a_thousand_testimonies(
    tmp_path: Path, big_sandbox: Any, sqlite_url: str
) -> None:
    setup = make_setup(tmp_path, big_sandbox.base_url, sqlite_url, consent=False)
    setup.config.write_text(setup.config.read_text().replace("per_hour = 30", f"per_hour = {CAP}"))
    harvested(setup)
    sessions = session_factory(setup.db_url)
    with sessions() as session:
        ids = list(session.scalars(select(models.Testimony.id).order_by(models.Testimony.id)))
    assert len(ids) >= 1000
    loaded = load(setup)
    clock = FakeClock()
    made, runs = [], []
    for _ in range(8):  # every 20 minutes for 2 h 20 min
        summary = ask(sessions, loaded, clock, ids, "tester", via="reply")
        runs.append(summary)
        made.append(replies_made(setup))
        clock.advance(20 * 60)
    # 25 at 0:00, then nothing until the first hour has passed, 25 at 1:00, 25 at 2:00
    assert made == [CAP, CAP, CAP, 2 * CAP, 2 * CAP, 2 * CAP, 3 * CAP, 3 * CAP]
    assert all(r.count("later") > 0 and r.retry_at is not None for r in runs)
    with sessions() as session:
        sent = sorted(session.scalars(select(AuditEntry.at).where(AuditEntry.action == SENT)))
    assert len(sent) == 3 * CAP
    for i, start in enumerate(sent):  # any 60 minutes hold at most CAP of them
        assert sum(1 for at in sent[i:] if at < start + timedelta(hours=1)) <= CAP


def test_the_cap_is_each_campaigns_own(tmp_path: Path, sandbox: Any, sqlite_url: str) -> None:
    """Two campaigns on one database: requests one campaign sent never use up the other's
    hour (its cap counts the requests of its own campaign only)."""
    first = make_setup(tmp_path, sandbox.base_url, sqlite_url, consent=False)
    first.config.write_text(first.config.read_text().replace("per_hour = 30", "per_hour = 2"))
    (tmp_path / "other").mkdir()
    other_config = tmp_path / "other" / "campaign.toml"
    other_config.write_text(
        first.config.read_text().replace(
            'id = "learning-never-stops"', 'id = "cities-of-learning"', 1
        )
    )
    other = Setup(tmp_path / "other", other_config, first.db_url, first.base_url)
    harvested(first)
    harvested(other)
    sessions = session_factory(first.db_url)
    clock = FakeClock()
    runs = {}
    for setup in (first, other):
        loaded = load(setup)
        with sessions() as session:
            ids = list(
                session.scalars(
                    select(models.Testimony.id)
                    .where(
                        models.Testimony.campaign_id == loaded.id,
                        models.Testimony.consent_state != "matched",
                    )
                    .order_by(models.Testimony.id)
                )
            )
        runs[loaded.id] = ask(sessions, loaded, clock, ids[:5], "tester", via="message")
    assert set(runs) == {"learning-never-stops", "cities-of-learning"}
    for summary in runs.values():  # each campaign sends its own two, then waits
        assert summary.count("message") == 2
        assert summary.count("later") == 3
