"""YouTube as it is in 2026: search.list draws on a bucket of its own (100 calls a day at 1
a call) while videos and channels share the 10,000 units, and the ledger keeps each bucket;
a search serves about 500 results, so a large backlog is walked in publishedBefore windows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Post, QuotaUsage
from tests.sandboxed import make_setup, session_factory


@pytest.fixture
def capped() -> Iterator[Any]:
    from sandbox.server import start_sandbox

    server = start_sandbox(port=0, posts=120, seed=5, youtube_search_cap=7)
    try:
        yield server
    finally:
        server.stop()


def test_a_backlog_beyond_the_search_cap_is_harvested_whole_in_windows(
    tmp_path: Path, capped: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, capped.base_url, db_url, consent=False)
    outcome = setup.cli("harvest", "--platform", "youtube")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    tagged = {
        p.native_id
        for p in capped.state.world.posts
        if p.platform == "youtube" and "#" in p.text and p.state == "available"
    }
    assert len(tagged) > 7 * 2  # more than two windows' worth
    with session_factory(db_url)() as session:
        stored = set(session.scalars(select(Post.native_id).where(Post.platform == "youtube")))
        ledger = {row.platform: row.units for row in session.scalars(select(QuotaUsage))}
    assert stored == tagged
    # the ledger keeps each bucket: search calls apart from the shared units
    assert ledger["youtube:search"] >= len(tagged) // 7
    assert ledger["youtube"] >= 1


def test_search_has_its_own_daily_bucket_of_100_calls(tmp_path: Path, db_url: str) -> None:
    from sandbox.server import start_sandbox

    server = start_sandbox(port=0, posts=60, seed=3, youtube_search_quota=1)
    try:
        setup = make_setup(tmp_path, server.base_url, db_url, consent=False)
        first = setup.cli("harvest", "--platform", "youtube")
        assert first.exit_code == 0, first.stdout + first.stderr
        again = setup.cli("harvest", "--platform", "youtube")
        # the search bucket is spent (1 call a day here): try later, nothing else is wrong
        assert again.exit_code == 75, again.stdout + again.stderr
        assert "quota" in again.stdout + again.stderr
    finally:
        server.stop()
