"""A campaign pointed at the hostile server: X, YouTube and Facebook harvested from it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models import HarvestRun, Post
from tests.helpers import Outcome, invoke
from tests.hostile.server import Hostile, serve
from tests.sandboxed import session_factory

TOKEN = "hostile-test-bearer-0123456789abcdef"
API_KEY = "AIzaHostileTestKey0123456789abcdefghijk"
PAGE_TOKEN = "EAAhostilepagetoken0123456789abcdefghijk"

CAMPAIGN = """\
[campaign]
id = "hostile"
name = "Hostile world"
hashtags = ["LearningNeverStops"]
mentions = ["UNESCO"]
start = 2020-01-01

[platforms.x]
base_url = "{base}"
timeout_seconds = {timeout}
max_retries = {retries}
{extra}

[platforms.youtube]
base_url = "{base}"
timeout_seconds = {timeout}
max_retries = {retries}
{extra}

[platforms.facebook]
base_url = "{base}"
page_id = "100"
timeout_seconds = {timeout}
max_retries = {retries}
{extra}
"""

ENV = {
    "STORYDESK_X_BEARER_TOKEN": TOKEN,
    "STORYDESK_YOUTUBE_API_KEY": API_KEY,
    "STORYDESK_FACEBOOK_PAGE_TOKEN": PAGE_TOKEN,
}


@dataclass
class World:
    server: Hostile
    config: Path
    db_url: str

    def cli(self, *args: str) -> Outcome:
        return invoke(
            *args, env={**ENV, "STORYDESK_CONFIG": str(self.config), "STORYDESK_DB": self.db_url}
        )

    def harvest(self, platform: str) -> Outcome:
        return self.cli("harvest", "--platform", platform)

    def stored(self, platform: str) -> list[Post]:
        sessions = session_factory(self.db_url)
        try:
            with sessions() as session:
                rows = session.scalars(select(Post).where(Post.platform == platform)).all()
                session.expunge_all()
                return list(rows)
        finally:
            sessions.kw["bind"].dispose()

    def runs(self) -> list[HarvestRun]:
        sessions = session_factory(self.db_url)
        try:
            with sessions() as session:
                rows = session.scalars(select(HarvestRun).order_by(HarvestRun.id)).all()
                session.expunge_all()
                return list(rows)
        finally:
            sessions.kw["bind"].dispose()


Make = Callable[..., World]


def within(seconds: float, call: Callable[[], Outcome]) -> tuple[Outcome, float]:
    """`call()`'s outcome and how long it took, failing the test if it takes longer than
    `seconds` (a hung harvest fails here instead of hanging the suite)."""
    result: list[Outcome] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    took = time.monotonic() - started
    assert not worker.is_alive(), f"still running after {seconds} s"
    if errors:
        raise errors[0]
    return result[0], took


@pytest.fixture(autouse=True)
def no_backoff_waits(no_clock_waits: list[float]) -> list[float]:
    """A retry backs off on the clock's sleep (1 s, then 2 s...): in-process runs against
    the hostile server skip it instead of spending wall time (tests/conftest.py:
    skip_clock_waits). The deadlines and size caps are the transport's own, on real time."""
    return no_clock_waits


@pytest.fixture
def hostile_world(tmp_path: Path, sqlite_url: str) -> Iterator[Make]:
    """hostile_world(mode, extra=..., timeout=..., retries=..., db_url=...) -> World."""
    servers: list[Any] = []

    def make(
        mode: str,
        extra: str = "",
        timeout: float = 5,
        retries: int = 0,
        db_url: str | None = None,
        trickle_interval: float = 0.05,
    ) -> World:
        context = serve(mode, trickle_interval)
        server = context.__enter__()
        servers.append(context)
        config = tmp_path / "campaign.toml"
        config.write_text(
            CAMPAIGN.format(base=server.base_url, timeout=timeout, retries=retries, extra=extra)
        )
        world = World(server, config, db_url or sqlite_url)
        outcome = world.cli("init")
        assert outcome.exit_code == 0, outcome.stderr
        return world

    yield make
    for context in servers:
        context.__exit__(None, None, None)
