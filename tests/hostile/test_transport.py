"""The HTTP policy against the broken server, through a plain requests session, through
google-api-python-client's transport and through an httpx client (atproto's): every call
ends in bounded time with one clear error."""

from __future__ import annotations

import resource
import time
from typing import Any

import pytest
import requests

from platforms.transport import HttpPolicy, PolicyBroken, PolicyHttp, policy_session
from tests.hostile.server import HUGE, serve

POLICY = HttpPolicy(connect_timeout=2, read_timeout=2, deadline=1.5, max_bytes=4 << 20)
PATH = "/2/tweets/search/recent"


def test_a_good_answer_passes_untouched() -> None:
    with serve("ok") as server:
        response = policy_session(POLICY).get(server.base_url + PATH)
    assert response.status_code == 200
    assert response.json()["meta"]["result_count"] == 2


def test_a_trickling_server_is_cut_off_at_the_deadline() -> None:
    with serve("trickle", trickle_interval=0.05) as server:
        started = time.monotonic()
        with pytest.raises(PolicyBroken) as caught:
            policy_session(POLICY).get(server.base_url + PATH)
        took = time.monotonic() - started
        sent = server.bytes_sent
    assert 1.4 <= took < 3.0
    assert 0 < sent < 200  # it had started answering: the read timeout alone never fires
    assert "no complete answer within 1.5 s (platforms.*.deadline_seconds" in caught.value.message
    assert PATH in caught.value.message


def test_a_300_mb_answer_is_refused_without_being_held() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with serve("huge_body") as server:
        started = time.monotonic()
        with pytest.raises(PolicyBroken) as caught:
            policy_session(POLICY).get(server.base_url + PATH)
        took = time.monotonic() - started
        assert server.bytes_sent < HUGE // 10
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert "larger than 4 MB (platforms.*.max_response_mb)" in caught.value.message
    assert took < 5
    assert grown_mb < 100


def test_an_answer_declared_too_large_is_not_read_at_all() -> None:
    small = HttpPolicy(max_bytes=300, deadline=5)
    with serve("ok") as server, pytest.raises(PolicyBroken) as caught:
        policy_session(small).get(server.base_url + PATH)  # the good page is 620 bytes
    assert "larger than" in caught.value.message


def test_a_redirect_loop_ends_after_the_policy_s_redirects() -> None:
    with serve("redirect_loop") as server:
        with pytest.raises(requests.TooManyRedirects):
            policy_session(POLICY).get(server.base_url + PATH)
        assert server.requests == POLICY.max_redirects + 1


def test_google_api_client_s_transport_gets_the_same_deadline() -> None:
    from googleapiclient.discovery import build

    with serve("trickle") as server:
        youtube = build(
            "youtube",
            "v3",
            developerKey="AIzaHostile",
            http=PolicyHttp(POLICY),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": server.base_url},
        )
        started = time.monotonic()
        with pytest.raises(PolicyBroken):
            youtube.search().list(part="snippet", q="x").execute(num_retries=0)
        assert time.monotonic() - started < 3.0


def test_google_api_client_reads_a_good_answer_through_the_policy() -> None:
    from googleapiclient.discovery import build

    with serve("ok") as server:
        youtube = build(
            "youtube",
            "v3",
            developerKey="AIzaHostile",
            http=PolicyHttp(POLICY),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": server.base_url},
        )
        answer = youtube.search().list(part="snippet", q="x").execute()
    assert [i["id"]["videoId"] for i in answer["items"]] == ["vid00001001", "vid00001002"]


def _httpx_client() -> Any:
    import httpx

    from platforms.httpx_policy import client_options

    return httpx.Client(follow_redirects=True, **client_options(POLICY))


def test_an_httpx_client_atproto_s_reads_a_good_answer_through_the_policy() -> None:
    with serve("ok") as server, _httpx_client() as client:
        response = client.get(server.base_url + PATH)
    assert response.status_code == 200
    assert response.json()["meta"]["result_count"] == 2


def test_an_httpx_client_is_cut_off_at_the_deadline() -> None:
    with serve("trickle", trickle_interval=0.05) as server, _httpx_client() as client:
        started = time.monotonic()
        with pytest.raises(PolicyBroken) as caught:
            client.get(server.base_url + PATH)
        took = time.monotonic() - started
    # checked as each byte arrives: within the deadline and one trickle interval
    assert 1.4 <= took < 3.0
    assert "no complete answer within 1.5 s (platforms.*.deadline_seconds" in caught.value.message


def test_an_httpx_client_refuses_a_300_mb_answer_without_holding_it() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with serve("huge_body") as server, _httpx_client() as client:
        with pytest.raises(PolicyBroken) as caught:
            client.get(server.base_url + PATH)
        assert server.bytes_sent < HUGE // 10
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert "larger than 4 MB (platforms.*.max_response_mb)" in caught.value.message
    assert grown_mb < 100


def test_an_httpx_client_ends_a_redirect_loop_after_the_policy_s_redirects() -> None:
    import httpx

    with serve("redirect_loop") as server, _httpx_client() as client:
        with pytest.raises(httpx.TooManyRedirects):
            client.get(server.base_url + PATH)
        assert server.requests == POLICY.max_redirects + 1
