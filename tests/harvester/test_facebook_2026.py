"""Facebook as Graph answers a Page's token in 2026.

- The tagged edge leaves out `from` for a person's post (reference/page/tagged): copies are
  stored without an author and matched only by a link on the form or our request's code.
- A field a node does not have fails the whole request (code 100), a field removed in v3.3
  too (code 12): every field storydesk asks for exists in the twin.
- A video's length is on the Video node, not the post: harvest reads it there.
- Crash recovery reads a Page post's link from its attachment, not the deprecated `link`.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

from compliance.listings import LISTING_FIELDS
from db.models import ConsentMatch, Post
from harvester.facebook import FIELDS, VIDEO_FIELDS
from publisher.graph import RECOVERY_FIELDS
from sandbox import graph_fields
from sandbox.constants import FACEBOOK_PAGE_ID, GRAPH_VERSION
from tests.sandboxed import Setup, session_factory

TOKEN = {"Authorization": "Bearer sandbox"}


def graph(base_url: str, path: str, **params: str) -> requests.Response:
    return requests.get(
        f"{base_url}/{GRAPH_VERSION}/{path}", params=params, headers=TOKEN, timeout=10
    )


def test_the_tagged_edge_gives_no_author_for_a_persons_post(sandbox: Any) -> None:
    answer = graph(sandbox.base_url, f"{FACEBOOK_PAGE_ID}/tagged", fields=FIELDS, limit="100")
    assert answer.status_code == 200, answer.text
    posts = answer.json()["data"]
    assert posts
    assert not any("from" in post for post in posts)


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        (
            "id,message,video_duration",
            100,
            "nonexisting field (video_duration) on node type (Post)",
        ),
        (
            "id,attachments{url,video_duration}",
            100,
            "nonexisting field (video_duration) on node type (StoryAttachment)",
        ),
        ("id,link", 12, "link field is deprecated for versions v3.3 and higher"),
        ("id,type,link", 12, "type & link field is deprecated"),
    ],
)
def test_a_field_the_node_lacks_fails_the_whole_request(
    sandbox: Any, fields: str, code: int, words: str
) -> None:
    for edge in ("tagged", "feed"):
        answer = graph(sandbox.base_url, f"{FACEBOOK_PAGE_ID}/{edge}", fields=fields)
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert (error["code"], error["type"]) == (code, "OAuthException")
        assert words in error["message"]


def test_every_field_storydesk_asks_of_facebook_exists_in_the_twin() -> None:
    asked = {
        "harvest: tagged posts": (FIELDS, "Post", graph_fields.POST),
        "harvest: video lengths": (VIDEO_FIELDS, "Video", graph_fields.VIDEO),
        "publish: crash recovery": (RECOVERY_FIELDS, "Post", graph_fields.POST),
        "compliance: tagged listing": (LISTING_FIELDS, "Post", graph_fields.POST),
    }
    for what, (fields, node, known) in asked.items():
        assert (
            graph_fields.refusal(fields, node, known, graph_fields.POST_DEPRECATED_V3_3) is None
        ), what


def test_harvested_facebook_posts_have_no_author_and_the_video_lengths_of_their_video_nodes(
    ready: Setup, sandbox: Any
) -> None:
    outcome = ready.cli("harvest", "--platform", "facebook")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    world = {p.native_id: p for p in sandbox.state.world.posts if p.platform == "facebook"}
    with session_factory(ready.db_url)() as session:
        rows = list(session.scalars(select(Post).where(Post.platform == "facebook")))
    assert {r.native_id for r in rows} == set(world)
    assert not any(r.author_id or r.author_name or r.author_handle for r in rows)
    videos = [r for r in rows if world[r.native_id].is_video]
    assert videos
    for row in videos:
        assert row.media_type == "video"
        assert row.duration_seconds == pytest.approx(world[row.native_id].duration)


def test_facebook_copies_match_only_by_a_link_on_the_form_or_our_code(
    ready: Setup, sandbox: Any
) -> None:
    """Forms name each person's Facebook profile, but a tagged post carries no author: a
    copy is matched where the form lists its link (or, once asked, by our request's code);
    the others are left for a person, never matched by an author Graph did not give."""
    assert ready.cli("harvest", "--platform", "facebook").exit_code == 0
    assert ready.cli("match").exit_code == 0
    world = sandbox.state.world
    owner = {p.native_id: world.people[p.person] for p in world.posts if p.platform == "facebook"}
    listed = {
        url: row["response_id"]
        for row in world.consent_rows
        for url in row["video_urls"].split(";")
        if "facebook.com" in url
    }
    with session_factory(ready.db_url)() as session:
        rows = session.execute(
            select(Post.native_id, Post.url, ConsentMatch.state, ConsentMatch.evidence)
            .join(ConsentMatch, ConsentMatch.post_id == Post.id)
            .where(Post.platform == "facebook")
        ).all()
    assert len(rows) == len(owner)
    for native_id, url, state, evidence in rows:
        if url in listed:
            assert state in ("matched", "guardian-required", "revoked"), native_id
            assert evidence["by"] == "video_url"
            assert evidence["response_id"] == listed[url] == owner[native_id].response_id
        else:
            assert state == "none", (native_id, evidence)
    assert any(url in listed for _, url, _, _ in rows)
    assert any(url not in listed for _, url, _, _ in rows)
