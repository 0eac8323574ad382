"""Bluesky end to end on its sandbox twin, through the real atproto SDK: harvest by hashtag
with searchPosts (tag filter, cursor, since), consent forms naming a handle or a DID, a
repost of each approved testimony, and compliance noticing a deleted post."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from sqlalchemy import select

from db.models import Post
from harvester.bluesky import page_to_posts
from platforms import registry
from sandbox.constants import HASHTAGS
from tests.harvester.support import edit_platforms
from tests.sandboxed import Setup, session_factory

TAG = "LearningNeverStops"


def _xrpc(base_url: str, nsid: str, token: str | None = None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{base_url}/xrpc/{nsid}", params=params, headers=headers, timeout=10)


def _session(base_url: str) -> str:
    answer = requests.post(
        f"{base_url}/xrpc/com.atproto.server.createSession",
        json={"identifier": "storydesk-demo.bsky.social", "password": "app-password"},
        timeout=10,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["did"].startswith("did:plc:") and body["handle"]
    return str(body["accessJwt"])


def test_the_twin_answers_as_the_lexicon_says(sandbox: Any) -> None:
    anonymous = _xrpc(sandbox.base_url, "app.bsky.feed.searchPosts", q="#" + TAG)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "AuthenticationRequired"
    token = _session(sandbox.base_url)
    no_query = _xrpc(sandbox.base_url, "app.bsky.feed.searchPosts", token)
    assert no_query.status_code == 400 and no_query.json()["error"] == "InvalidRequest"
    too_many = _xrpc(sandbox.base_url, "app.bsky.feed.searchPosts", token, q="x", limit=101)
    assert too_many.status_code == 400
    first = _xrpc(
        sandbox.base_url, "app.bsky.feed.searchPosts", token, q="#" + TAG, tag=TAG, limit=2
    ).json()
    assert len(first["posts"]) == 2 and first["cursor"]
    view = first["posts"][0]
    assert view["uri"].startswith("at://did:plc:") and "/app.bsky.feed.post/" in view["uri"]
    assert view["record"]["$type"] == "app.bsky.feed.post"
    features = [f for facet in view["record"]["facets"] for f in facet["features"]]
    assert {"$type": "app.bsky.richtext.facet#tag", "tag": TAG} in features
    following = _xrpc(
        sandbox.base_url,
        "app.bsky.feed.searchPosts",
        token,
        q="#" + TAG,
        tag=TAG,
        limit=2,
        cursor=first["cursor"],
    ).json()
    assert not {p["uri"] for p in following["posts"]} & {p["uri"] for p in first["posts"]}


def test_a_post_view_becomes_a_post() -> None:
    text = "Soy Ana, de Quito #LearningNeverStops @UNESCO"
    start = len(b"Soy Ana, de Quito ")
    view = {
        "uri": "at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3kabcdefghij2",
        "cid": "bafyreiexample",
        "author": {"did": "did:plc:abcdefghijklmnopqrstuvwx", "handle": "ana.bsky.social"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2026-11-30T10:00:00.000Z",
            "facets": [
                {
                    "index": {"byteStart": start, "byteEnd": start + 19},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": TAG}],
                }
            ],
        },
        "embed": {
            "$type": "app.bsky.embed.video#view",
            "cid": "b",
            "playlist": "p",
            "thumbnail": "t",
        },
        "indexedAt": "2026-11-30T10:00:01.000Z",
    }
    (post,) = page_to_posts({"posts": [view]})
    assert post.native_id == "did:plc:abcdefghijklmnopqrstuvwx/3kabcdefghij2"
    assert post.url == "https://bsky.app/profile/ana.bsky.social/post/3kabcdefghij2"
    assert post.author_id == "did:plc:abcdefghijklmnopqrstuvwx"
    assert post.hashtags == [TAG] and post.mentions == ["UNESCO"]
    assert post.media_type == "video" and post.duration_seconds is None
    assert registry.get("bluesky").id_shape.match(post.native_id)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("did:plc:abcdefghijklmnopqrstuvwx", ("did:plc:abcdefghijklmnopqrstuvwx", None)),
        ("@Ana.bsky.social", (None, "ana.bsky.social")),
        ("https://bsky.app/profile/ana.bsky.social", (None, "ana.bsky.social")),
        (
            "https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx/post/3k",
            ("did:plc:abcdefghijklmnopqrstuvwx", None),
        ),
        ("", (None, None)),
    ],
)
def test_a_consent_form_may_name_a_handle_or_a_did(written: str, read: tuple[Any, Any]) -> None:
    assert registry.get("bluesky").consent_reader(written) == read


def _bluesky_posts(setup: Setup) -> list[Post]:
    with session_factory(setup.db_url)() as session:
        return list(session.scalars(select(Post).where(Post.platform == "bluesky")))


def test_harvest_finds_the_tagged_posts_then_only_what_is_new(ready: Setup, sandbox: Any) -> None:
    first = ready.cli("harvest", "--platform", "bluesky")
    assert first.exit_code == 0, first.stdout + first.stderr
    tagged = {
        p.native_id
        for p in sandbox.state.world.by_platform("bluesky")
        if any(f"#{tag}".lower() in p.text.lower() for tag in HASHTAGS)
    }
    stored = {p.native_id for p in _bluesky_posts(ready)}
    assert tagged, "the twin holds Bluesky copies of some testimonies"
    assert stored == tagged
    again = ready.cli("harvest", "--platform", "bluesky")
    assert again.exit_code == 0
    assert "0 new" in again.stdout
    queue = json.loads(ready.cli("queue", "--json", "--limit", "0", "--platform", "bluesky").stdout)
    matched = [item for item in queue if item["consent"] == "matched"]
    assert matched, "forms name Bluesky handles or DIDs, and some match"


def test_approved_testimonies_are_reposted_once(ready: Setup) -> None:
    assert ready.cli("harvest", "--platform", "bluesky").exit_code == 0
    queue = json.loads(ready.cli("queue", "--json", "--limit", "0", "--platform", "bluesky").stdout)
    ids = [str(i["id"]) for i in queue if i["consent"] == "matched" and not i["problems"]]
    approved = ready.cli("approve", *ids, "--as", "tester", "--json")
    answers = json.loads(approved.stdout)
    # the form's scope decides: "social" covers Bluesky, a list of other platforms does not
    queued = [a for a in answers if "bluesky" in a.get("queued", [])]
    assert queued, answers
    published = ready.cli("publish", "--target", "bluesky")
    assert published.exit_code == 0, published.stdout + published.stderr
    assert f"bluesky: {len(queued)} published" in published.stdout
    writes = [w["path"] for w in ready.stats()["writes"] if w["platform"] == "bluesky"]
    assert writes.count("/xrpc/com.atproto.repo.createRecord") == len(queued)
    assert ready.cli("publish", "--target", "bluesky").stdout.strip() == "nothing was due"


def test_compliance_notices_a_deleted_bluesky_post(ready: Setup) -> None:
    assert ready.cli("harvest", "--platform", "bluesky").exit_code == 0
    gone = _bluesky_posts(ready)[0]
    ready.control("delete", {"platform": "bluesky", "native_id": gone.native_id})
    swept = ready.cli("compliance", "--json")
    assert swept.exit_code == 0, swept.stderr
    report = json.loads(swept.stdout)
    assert report["gone_by_platform"]["bluesky"] == {"deleted": 1}
    with session_factory(ready.db_url)() as session:
        post = session.get_one(Post, gone.id)
        assert post.source_state == "deleted" and post.text == ""


def test_a_bluesky_harvest_is_held_to_its_section_s_http_policy(ready: Setup) -> None:
    # a search page of the twin is far larger than 2 KB; the session's answer is not
    edit_platforms(ready.config, bluesky={"max_response_mb": "0.002"})
    outcome = ready.cli("harvest", "--platform", "bluesky")
    assert outcome.exit_code == 1
    assert "/xrpc/app.bsky.feed.searchPosts: the answer is larger than" in outcome.stderr
    assert "(platforms.bluesky.max_response_mb)" in outcome.stderr
    assert _bluesky_posts(ready) == []
