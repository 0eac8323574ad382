"""Injected failures drive the real clients' own recovery: tweepy's wait_on_rate_limit waits
until the reset the sandbox sent, googleapiclient retries 5xx and 429, and quotaExceeded
comes back as the 403 the client does not retry. Time is injected: no test waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import googleapiclient.http
import pytest
import tweepy.client
from googleapiclient.errors import HttpError

from sandbox.server import start_sandbox
from tests.sandbox.schemas import assert_conform, x_openapi, youtube_discovery
from tests.sandbox.support import (
    CAMPAIGN_QUERY,
    YOUTUBE_QUERY,
    control,
    stats,
    x_client,
    youtube_client,
)

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[Any]:
    """A sandbox whose clock stands still (it moves only through /__sandbox__/clock)."""
    server = start_sandbox(
        port=0,
        posts=60,
        seed=3,
        now=lambda: NOW,
        x_search_limit=2,
        youtube_daily_quota=250,
        youtube_search_quota=2,
    )
    try:
        yield server
    finally:
        server.stop()


class FakeTime:
    """tweepy.client's `time`: sleeping moves this clock and the sandbox's, instantly."""

    def __init__(self, base_url: str) -> None:
        self.base_url, self.now, self.slept = base_url, NOW.timestamp(), []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        control(self.base_url, "clock", {"advance": seconds})


@pytest.fixture
def tweepy_time(frozen: Any, monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime(frozen.base_url)
    monkeypatch.setattr(tweepy.client, "time", fake)
    return fake


def test_injected_429_makes_tweepy_wait_until_the_reset_it_was_told(
    frozen: Any, tweepy_time: FakeTime
) -> None:
    client, recorder = x_client(frozen.base_url, wait_on_rate_limit=True, return_type=dict)
    control(frozen.base_url, "faults", {"platform": "x", "kind": "429", "count": 1})

    answer = client.search_recent_tweets(CAMPAIGN_QUERY, max_results=10)

    assert answer["meta"]["result_count"] == 10
    assert [e.status for e in recorder.exchanges] == [429, 200]
    told = int(recorder.exchanges[0].headers["x-rate-limit-reset"])
    assert told == NOW.timestamp() + 60
    # tweepy sleeps until the reset, plus its one second of margin
    assert tweepy_time.slept == [told - NOW.timestamp() + 1]
    assert_conform(x_openapi(), recorder.exchanges)


def test_an_exhausted_window_is_waited_out_and_search_goes_on(
    frozen: Any, tweepy_time: FakeTime
) -> None:
    client, recorder = x_client(frozen.base_url, wait_on_rate_limit=True, return_type=dict)

    for _ in range(3):  # the window allows 2 searches
        client.search_recent_tweets(CAMPAIGN_QUERY, max_results=10)

    assert [e.status for e in recorder.exchanges] == [200, 200, 429, 200]
    refused = recorder.exchanges[2]
    assert refused.headers["x-rate-limit-remaining"] == "0"
    assert refused.body["title"] == "Too Many Requests"
    told = int(refused.headers["x-rate-limit-reset"])
    assert told == NOW.timestamp() + 15 * 60  # the 15-minute window opened with the first call
    assert tweepy_time.slept == [told - NOW.timestamp() + 1]
    assert recorder.exchanges[3].headers["x-rate-limit-remaining"] == "1"
    assert_conform(x_openapi(), recorder.exchanges)


def test_without_waiting_tweepy_raises_with_the_reset(frozen: Any) -> None:
    client, recorder = x_client(frozen.base_url)
    control(frozen.base_url, "faults", {"platform": "x", "kind": "429", "count": 1})
    with pytest.raises(tweepy.TooManyRequests) as limited:
        client.search_recent_tweets(CAMPAIGN_QUERY, max_results=10)
    assert limited.value.reset_time == NOW.timestamp() + 60

    control(frozen.base_url, "faults", {"platform": "x", "kind": "503", "count": 1})
    with pytest.raises(tweepy.TwitterServerError):
        client.search_recent_tweets(CAMPAIGN_QUERY, max_results=10)
    assert_conform(x_openapi(), recorder.exchanges)


@pytest.fixture
def google_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(googleapiclient.http, "time", SimpleNamespace(sleep=slept.append))
    return slept


@pytest.mark.parametrize("kind", ["500", "503", "429"])
def test_googleapiclient_retries_server_errors_and_429(
    frozen: Any, google_sleeps: list[float], kind: str
) -> None:
    youtube, http = youtube_client(frozen.base_url)
    control(frozen.base_url, "faults", {"platform": "youtube", "kind": kind, "count": 2})

    answer = youtube.videos().list(part="snippet", id="nothing").execute(num_retries=2)

    assert answer["kind"] == "youtube#videoListResponse"
    assert [e.status for e in http.exchanges] == [int(kind), int(kind), 200]
    assert len(google_sleeps) == 2  # its exponential backoff, not waited
    assert_conform(youtube_discovery(), http.exchanges)


def test_too_few_retries_surface_the_error(frozen: Any, google_sleeps: list[float]) -> None:
    youtube, http = youtube_client(frozen.base_url)
    control(frozen.base_url, "faults", {"platform": "youtube", "kind": "503", "count": 2})
    with pytest.raises(HttpError) as failed:
        youtube.videos().list(part="snippet", id="nothing").execute(num_retries=1)
    assert failed.value.resp.status == 503
    assert failed.value.error_details[0]["reason"] == "backendError"


def test_injected_quota_exceeded_is_a_403_never_retried(
    frozen: Any, google_sleeps: list[float]
) -> None:
    youtube, http = youtube_client(frozen.base_url)
    control(frozen.base_url, "faults", {"platform": "youtube", "kind": "quota", "count": 1})

    with pytest.raises(HttpError) as spent:
        youtube.search().list(part="snippet", q=YOUTUBE_QUERY, type="video").execute(num_retries=3)

    assert spent.value.resp.status == 403
    assert spent.value.reason.startswith("The request cannot be completed")
    assert spent.value.error_details[0]["reason"] == "quotaExceeded"
    assert len(http.exchanges) == 1 and google_sleeps == []
    assert_conform(youtube_discovery(), http.exchanges)


def test_the_daily_budget_runs_out_at_its_cost(frozen: Any, google_sleeps: list[float]) -> None:
    # search.list has its own bucket (2 calls here; 100 a day by default since 2026)
    youtube, http = youtube_client(frozen.base_url)
    search = youtube.search().list(part="snippet", q=YOUTUBE_QUERY, type="video")
    search.execute()
    search.execute()
    with pytest.raises(HttpError) as spent:
        search.execute(num_retries=3)
    assert spent.value.error_details[0]["reason"] == "quotaExceeded"
    youtube.videos().list(part="id", id="nothing").execute()  # the shared bucket is apart
    assert stats(frozen.base_url)["quota_units"] == {"youtube": 1, "youtube:search": 2}

    control(frozen.base_url, "clock", {"advance": 24 * 3600})  # a new Pacific day
    search.execute()
    assert [e.status for e in http.exchanges] == [200, 200, 403, 200, 200]
    assert_conform(youtube_discovery(), http.exchanges)
