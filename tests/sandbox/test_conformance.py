"""The schema checks are themselves checked: real recorded answers (tweepy's cassettes, public
client projects' test data) pass them, broken ones fail them, and the recorded payloads parse
through the harvester's own code. Then a sweep of every X endpoint the app uses, errors
included, against X's OpenAPI document.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from harvester import x as x_harvest
from harvester import youtube as youtube_harvest
from sandbox.constants import X_ACCOUNT_ID
from tests.sandbox.schemas import (
    CONFORMANCE,
    GOOGLE_ERROR,
    Exchange,
    XOpenApi,
    assert_conform,
    undefined_required,
    x_openapi,
    youtube_discovery,
)
from tests.sandbox.support import ACCOUNT_TOKEN, CAMPAIGN_QUERY, Recorder, control, x_client

X_RECORDED = sorted((CONFORMANCE / "x" / "recorded").glob("*.json"))
X_EXAMPLES = CONFORMANCE / "x" / "examples"
YT_EXAMPLES = CONFORMANCE / "youtube" / "examples"


def read(path: Path) -> Any:
    return json.loads(path.read_text())


def recorded_exchanges(path: Path) -> list[Exchange]:
    return [
        Exchange(
            item["request"]["method"],
            urlsplit(item["request"]["uri"]).path,
            item["response"]["status"]["code"],
            item["response"]["headers"]["content-type"][0],
            {k: v[0] for k, v in item["response"]["headers"].items()},
            item["response"]["body"],
        )
        for item in read(path)
    ]


def test_the_conformance_copies_are_in_the_repository() -> None:
    # a clean clone has them: the tests never reach outside the repository for them
    assert CONFORMANCE.is_relative_to(Path(__file__).resolve().parents[2])
    assert len(X_RECORDED) == 10
    assert (CONFORMANCE / "x" / "openapi" / "LICENSE").exists()


@pytest.mark.parametrize("path", X_RECORDED, ids=lambda p: p.stem)
def test_x_recorded_answers_pass_the_openapi_check(path: Path) -> None:
    assert_conform(x_openapi(), recorded_exchanges(path))


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("searches/search_tweets_for_nyc.json", "GET", "/2/tweets/search/recent"),
        ("searches/search_tweets_query.json", "GET", "/2/tweets/search/recent"),
        ("tweet/tweet_resp.json", "GET", "/2/tweets/1"),
        ("tweet/tweets_resp.json", "GET", "/2/tweets"),
        ("tweet/create_tweet_resp.json", "POST", "/2/tweets"),
        ("media_upload_v2/upload_chunk_init_resp.json", "POST", "/2/media/upload/initialize"),
        ("media_upload_v2/upload_chunk_finalize_resp.json", "POST", "/2/media/upload/1/finalize"),
        ("media_upload_v2/upload_chunk_status_resp.json", "GET", "/2/media/upload"),
    ],
)
def test_x_example_answers_pass_the_openapi_check(name: str, method: str, path: str) -> None:
    status = 201 if method == "POST" and path == "/2/tweets" else 200
    exchange = Exchange(method, path, status, "application/json", {}, read(X_EXAMPLES / name))
    assert_conform(x_openapi(), [exchange])


def test_the_errata_are_needed_and_no_more() -> None:
    strict = XOpenApi(errata=False)
    assert undefined_required(strict.doc) == {
        "MediaUploadAppendResponse": ["meta"],
        "MediaUploadResponse": ["meta"],
        "Note": ["note_info"],
        "ProcessingInfo": ["type"],
    }
    body = read(X_EXAMPLES / "media_upload_v2" / "upload_chunk_status_resp.json")
    status = Exchange("GET", "/2/media/upload", 200, "application/json", {}, body)
    assert strict.problems(status) and not x_openapi().problems(status)


def test_the_x_check_rejects_what_x_would_never_send() -> None:
    good = recorded_exchanges(CONFORMANCE / "x" / "recorded" / "test_client_get_tweets.json")[0]
    checker = x_openapi()
    numeric = copy.deepcopy(good)
    numeric.body["data"][0]["id"] = 1293593516040269825
    assert checker.problems(numeric)
    empty = copy.deepcopy(good)
    empty.body["data"] = []  # X leaves `data` out rather than send it empty
    assert checker.problems(empty)
    unknown = copy.deepcopy(good)
    unknown.body["errors"] = [{"title": "Gone", "type": "https://example.org/not-a-problem"}]
    assert checker.problems(unknown)
    half = copy.deepcopy(good)
    half.body["errors"] = [  # a resource-not-found problem must say which resource
        {
            "title": "Not Found Error",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
    assert checker.problems(half)
    bad_handle = Exchange("GET", "/2/users/me", 200, "", {}, {"data": {"id": "1", "name": "n"}})
    bad_handle.body["data"]["username"] = "a_name_longer_than_15"
    assert checker.problems(bad_handle)


def youtube_examples() -> list[tuple[str, str, str, int]]:
    return [
        ("search/search_by_keywords_p1.json", "GET", "/youtube/v3/search", 200),
        ("search/search_by_keywords_p2.json", "GET", "/youtube/v3/search", 200),
        ("videos/videos_info_single.json", "GET", "/youtube/v3/videos", 200),
        ("videos/videos_info_multi.json", "GET", "/youtube/v3/videos", 200),
        ("playlist_items/insert_response.json", "POST", "/youtube/v3/playlistItems", 200),
        ("playlist_items/playlist_items_paged_1.json", "GET", "/youtube/v3/playlistItems", 200),
        ("error_response.json", "GET", "/youtube/v3/search", 400),
        ("error_permission_resp.json", "GET", "/youtube/v3/search", 403),
    ]


@pytest.mark.parametrize(("name", "method", "path", "status"), youtube_examples())
def test_youtube_examples_pass_the_discovery_check(
    name: str, method: str, path: str, status: int
) -> None:
    exchange = Exchange(method, path, status, "application/json", {}, read(YT_EXAMPLES / name))
    assert_conform(youtube_discovery(), [exchange])


@pytest.mark.parametrize("name", ["500.json", "503.json", "bad_request.json"])
def test_google_error_bodies_fit_the_error_envelope(name: str) -> None:
    from jsonschema import Draft7Validator

    Draft7Validator(GOOGLE_ERROR).validate(read(CONFORMANCE / "google-errors" / name))


def test_the_youtube_check_rejects_what_youtube_would_never_send() -> None:
    body = read(YT_EXAMPLES / "videos" / "videos_info_single.json")
    checker = youtube_discovery()
    body["items"][0]["snippet"]["publishedAt"] = "yesterday"
    assert checker.problems(Exchange("GET", "/youtube/v3/videos", 200, "", {}, body))
    body = read(YT_EXAMPLES / "search" / "search_by_keywords_p1.json")
    body["items"][0]["id"] = "gQ_1zX-F_No"  # a search result's id is an object
    assert checker.problems(Exchange("GET", "/youtube/v3/search", 200, "", {}, body))
    error = {"error": {"code": 403, "message": "quota"}}  # no errors[] with a reason
    assert checker.problems(Exchange("GET", "/youtube/v3/search", 403, "", {}, error))


def test_recorded_x_searches_parse_through_the_harvester() -> None:
    for name in ("search_tweets_for_nyc.json", "search_tweets_query.json"):
        page = read(X_EXAMPLES / "searches" / name)
        posts = x_harvest.page_to_posts(page)
        assert [p.native_id for p in posts] == [t["id"] for t in page["data"]]
        users = {u["id"]: u["username"] for u in page.get("includes", {}).get("users", [])}
        for post, tweet in zip(posts, page["data"], strict=True):
            assert post.author_handle == users.get(tweet["author_id"])
            assert post.published_at is not None
    recorded = recorded_exchanges(CONFORMANCE / "x" / "recorded" / "test_client_get_tweet.json")
    (single,) = x_harvest.page_to_posts(recorded[0].body)
    assert single.native_id == recorded[0].body["data"]["id"]


def test_recorded_youtube_videos_parse_through_the_harvester() -> None:
    for name in ("videos_info_multi.json", "videos_info_single.json"):
        page = read(YT_EXAMPLES / "videos" / name)
        posts = youtube_harvest.page_to_posts(page, {})
        assert [p.native_id for p in posts] == [v["id"] for v in page["items"]]
        for post, video in zip(posts, page["items"], strict=True):
            assert post.published_at is not None
            assert post.author_name == video["snippet"]["channelTitle"]
            assert video["snippet"]["title"] in post.text
    assert youtube_harvest.parse_duration("PT1M5S") == 65  # the recordings ask for no durations


def oauth1_session(base_url: str, recorder: Recorder) -> requests.Session:
    from requests_oauthlib import OAuth1

    session = requests.Session()
    session.auth = OAuth1("consumer", "consumer-secret", ACCOUNT_TOKEN, "token-secret")
    session.hooks["response"].append(recorder)
    return session


@pytest.mark.world(posts=60)
def test_every_x_answer_of_the_sandbox_conforms(sandbox: Any) -> None:
    """Each endpoint and each error the app meets, checked against X's document."""
    base = sandbox.base_url
    reader, recorder = x_client(base, return_type=dict)
    user, _ = x_client(base, access_token=ACCOUNT_TOKEN, return_type=dict)
    user.session.hooks["response"] = [recorder]
    tweets = [p.native_id for p in sandbox.state.world.posts if p.platform == "x"]

    page = reader.search_recent_tweets(
        CAMPAIGN_QUERY,
        max_results=10,
        expansions="author_id,attachments.media_keys",
        tweet_fields="created_at,author_id,entities,attachments,lang,public_metrics",
        media_fields="duration_ms,type,preview_image_url,variants,width,height",
        user_fields="created_at,verified",
    )
    reader.search_recent_tweets(
        CAMPAIGN_QUERY, max_results=10, next_token=page["meta"]["next_token"]
    )
    reader.search_recent_tweets(CAMPAIGN_QUERY, max_results=10, since_id=tweets[-1][:-1] + "9")
    control(base, "delete", {"platform": "x", "native_id": tweets[1]})
    control(base, "delete", {"platform": "x", "native_id": tweets[2], "mode": "protected"})
    reader.get_tweets(tweets[:3], expansions="author_id", tweet_fields="created_at")
    reader.get_tweet(tweets[0])
    reader.get_tweet(tweets[1])
    user.get_me(user_auth=True)
    user.retweet(tweets[0])
    user.unretweet(tweets[0])
    with pytest.raises(Exception, match="403"):  # quote posts left self-serve tiers in 2026
        user.create_tweet(text="Learning never stops", quote_tweet_id=tweets[0])
    control(base, "x-account", {"quote_access": True})
    created = user.create_tweet(text="Learning never stops", quote_tweet_id=tweets[0])
    user.get_users_tweets(X_ACCOUNT_ID, user_auth=True)
    user.delete_tweet(created["data"]["id"])
    user.create_tweet(text="Learning never stops")
    with pytest.raises(Exception, match="403"):
        user.create_tweet(text="Learning never stops")  # duplicate content
    for call in (
        lambda: user.create_tweet(text="x" * 300),
        lambda: user.retweet(tweets[1]),
        lambda: reader.search_recent_tweets(CAMPAIGN_QUERY, max_results=500),
        lambda: reader.get_tweets([]),
    ):
        with pytest.raises(Exception, match="400"):
            call()

    raw = requests.Session()
    raw.hooks["response"].append(recorder)
    raw.get(f"{base}/2/tweets/search/recent", params={"query": "x"}, timeout=10)  # no auth: 401
    control(base, "faults", {"platform": "x", "kind": "429", "count": 1})
    control(base, "faults", {"platform": "x", "kind": "503", "count": 1})
    for _ in range(2):
        with pytest.raises(Exception, match="429|503"):
            reader.search_recent_tweets(CAMPAIGN_QUERY, max_results=10)

    media = oauth1_session(base, recorder)
    simple = media.post(f"{base}/2/media/upload", files={"media": b"video"}, timeout=10).json()
    media.get(
        f"{base}/2/media/upload",
        params={"command": "STATUS", "media_id": simple["data"]["id"]},
        timeout=10,
    )
    init = media.post(
        f"{base}/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": 5, "media_category": "tweet_video"},
        timeout=10,
    ).json()["data"]["id"]
    media.post(
        f"{base}/2/media/upload/{init}/append",
        files={"media": b"video"},
        data={"segment_index": 0},
        timeout=10,
    )
    media.post(f"{base}/2/media/upload/{init}/finalize", timeout=10)

    statuses = sorted({e.status for e in recorder.exchanges})
    assert statuses == [200, 201, 400, 401, 403, 429, 503]
    assert_conform(x_openapi(), recorder.exchanges)
