"""Payloads the platforms (and their client projects) recorded, not us: each one that carries
posts goes through the same pure page → posts functions the collectors call."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harvester import facebook, instagram_graph, x, youtube
from harvester.common import HarvestedPost

PAYLOADS = Path(__file__).parent / "payloads"

# Answers that carry no posts: writes, accounts, counts, uploads, errors, publishing.
NOT_POSTS = {
    "x/recorded/test_client_create_and_delete_tweet.json",
    "x/recorded/test_client_get_me.json",
    "x/recorded/test_client_get_recent_tweets_count.json",
    "x/recorded/test_client_retweet_and_unretweet.json",
    "x/examples/media_upload_v2/upload_chunk_finalize_resp.json",
    "x/examples/media_upload_v2/upload_chunk_init_resp.json",
    "x/examples/media_upload_v2/upload_chunk_status_resp.json",
    "x/examples/media_upload_v2/upload_simple_resp.json",
    "x/examples/tweet/create_tweet_resp.json",
    "youtube/examples/error_permission_resp.json",
    "youtube/examples/error_response.json",
    "youtube/examples/playlist_items/insert_response.json",
    "youtube/examples/playlist_items/playlist_items_paged_1.json",
    "meta/examples/facebook/apidata/pages/single_fields_page.json",
    "meta/examples/instagram/apidata/hashtags/hashtag_info.json",
    "meta/examples/instagram/apidata/users/hashtag_search.json",
    "meta/examples/instagram/apidata/users/recently_searched_hashtags.json",
    "meta/examples/instagram/apidata/users/content_publish_limit.json",
    "meta/examples/instagram/apidata/publish/container_info.json",
    "meta/examples/instagram/apidata/publish/create_photo.json",
    "meta/examples/instagram/apidata/publish/create_video.json",
    "meta/examples/instagram/apidata/publish/publish_container.json",
    "meta/examples/instagram/apidata/publish/publish_limit_resp.json",
}


def bodies(name: str) -> list[dict[str, Any]]:
    """A payload file's answer bodies: VCR cassettes hold several exchanges, examples one."""
    data = json.loads((PAYLOADS / name).read_text())
    if isinstance(data, list):
        return [exchange["response"]["body"] for exchange in data]
    return [data]


def when(stamp: str | None) -> datetime | None:
    if stamp is None:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00").replace("+0000", "+00:00"))


def check_x(body: dict[str, Any], posts: list[HarvestedPost]) -> None:
    tweets = body["data"] if isinstance(body["data"], list) else [body["data"]]
    includes = body.get("includes") or {}
    users = {u["id"]: u for u in includes.get("users", [])}
    media = {m["media_key"]: m for m in includes.get("media", [])}
    for tweet, post in zip(tweets, posts, strict=True):
        # the words as typed: X sends & < > as &amp; &lt; &gt; (search_tweets_for_nyc has two)
        typed = tweet["text"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        first = (tweet.get("edit_history_tweet_ids") or [tweet["id"]])[0]
        assert (post.platform, post.native_id, post.text) == ("x", first, typed)
        assert post.published_at == when(tweet.get("created_at"))
        user = users.get(tweet.get("author_id", ""))
        assert post.author_handle == (user["username"] if user else None)
        entities = tweet.get("entities") or {}
        assert post.hashtags == [h["tag"] for h in entities.get("hashtags", [])]
        assert post.links == [u.get("expanded_url", u["url"]) for u in entities.get("urls", [])]
        keys = (tweet.get("attachments") or {}).get("media_keys", [])
        videos = [media[k] for k in keys if media.get(k, {}).get("type") == "video"]
        if videos and "duration_ms" in videos[0]:
            assert post.media_type == "video"
            assert post.duration_seconds == videos[0]["duration_ms"] / 1000


def check_youtube_videos(body: dict[str, Any], posts: list[HarvestedPost]) -> None:
    for item, post in zip(body["items"], posts, strict=True):
        snippet = item["snippet"]
        assert (post.platform, post.native_id) == ("youtube", item["id"])
        assert post.url == f"https://www.youtube.com/watch?v={item['id']}"
        assert snippet["title"] in post.text and post.body == snippet["description"]
        assert post.published_at == when(snippet["publishedAt"])
        assert post.author_id == snippet["channelId"]
        assert set(snippet.get("tags", [])) <= set(post.hashtags)
        assert set(post.links) >= {"http://bit.ly/2YabdS5"} or "bit.ly/2YabdS5" not in post.text


def check_meta(body: dict[str, Any], posts: list[HarvestedPost], platform: str) -> None:
    for item, post in zip(body["data"], posts, strict=True):
        assert (post.platform, post.native_id) == (platform, item["id"])
        words = item.get("message") or item.get("caption") or item.get("description") or ""
        assert post.text == words
        assert post.published_at == when(item.get("created_time") or item.get("timestamp"))
        tags = [w[1:] for w in words.split() if w.startswith("#") and w[1:].isalnum()]
        assert set(tags) <= set(post.hashtags)
        # the recorded recent_media pages asked for no permalink; the collector asks for it
        assert post.url.startswith("https://") or "permalink" not in item


def youtube_search(body: dict[str, Any]) -> list[HarvestedPost]:
    ids = youtube.search_to_ids(body)
    assert ids == [i["id"]["videoId"] for i in body["items"] if i["id"]["kind"] == "youtube#video"]
    # the collector looks the ids up with videos.list; its answer is tested below
    return [HarvestedPost("youtube", i, "", "", None) for i in ids]


Check = Callable[[dict[str, Any], list[HarvestedPost]], None]
PARSERS: dict[str, tuple[Callable[[dict[str, Any]], list[HarvestedPost]], Check | None]] = {
    "x/": (x.page_to_posts, check_x),
    "youtube/examples/search/": (youtube_search, None),
    "youtube/examples/videos/": (lambda b: youtube.page_to_posts(b, {}), check_youtube_videos),
    "meta/examples/facebook/": (
        facebook.page_to_posts,
        lambda b, p: check_meta(b, p, "facebook"),
    ),
    "meta/examples/instagram/apidata/hashtags/": (
        instagram_graph.page_to_posts,
        lambda b, p: check_meta(b, p, "instagram"),
    ),
}
ALL = sorted(str(p.relative_to(PAYLOADS)) for p in PAYLOADS.rglob("*.json") if p.parent != PAYLOADS)
WITH_POSTS = [name for name in ALL if name not in NOT_POSTS]


def test_every_copied_payload_is_either_parsed_or_named_as_carrying_no_posts() -> None:
    assert len(ALL) >= 40 and NOT_POSTS <= set(ALL)
    for name in WITH_POSTS:
        assert any(name.startswith(prefix) for prefix in PARSERS), name


@pytest.mark.parametrize("name", WITH_POSTS)
def test_a_recorded_payload_parses_into_posts(name: str) -> None:
    parse, check = next(v for prefix, v in PARSERS.items() if name.startswith(prefix))
    for body in bodies(name):
        posts = parse(body)
        items = body.get("data") or body.get("items")
        assert posts and len(posts) == (len(items) if isinstance(items, list) else 1)
        assert all(p.native_id and p.raw is not None for p in posts)
        if check is not None:
            check(body, posts)


def test_the_copies_match_the_shared_conformance_material() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "conformance"
    if not shared.is_dir():
        pytest.skip("../shared/conformance is not beside this clone")
    for name in ALL:
        assert (PAYLOADS / name).read_bytes() == (shared / name).read_bytes(), name
