"""Real recorded X search pages (twarc2's recordings, tests/harvester/realworld/) harvested
through the sandbox's HTTP layer by the real collector: every stored post has the text the
person typed (no &amp;), the author, time, links and video duration that X recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Post
from sandbox.replay import read_jsonl, x_pages
from tests.sandboxed import make_setup, session_factory

RECORDED = Path(__file__).parent / "realworld" / "x"
# two consecutive search pages, then three lookups (an edit, a video, many urls)
FILES = ("kpop.jsonl", "brexit.jsonl", "edited.jsonl", "media_tweet.jsonl", "many_urls.jsonl")


def recorded() -> list[dict[str, Any]]:
    return [answer for name in FILES for answer in read_jsonl(RECORDED / name)]


@pytest.fixture
def replaying() -> Iterator[Any]:
    from sandbox.server import start_sandbox

    server = start_sandbox(port=0, posts=10, seed=1, replay={"x": x_pages(recorded())})
    try:
        yield server
    finally:
        server.stop()


def typed(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def expected() -> dict[str, dict[str, Any]]:
    """What X recorded, per post (keyed on the first id of its edit history)."""
    out: dict[str, dict[str, Any]] = {}
    for answer in recorded():
        data = answer["data"] if isinstance(answer["data"], list) else [answer["data"]]
        users = {u["id"]: u for u in answer.get("includes", {}).get("users", [])}
        media = {m["media_key"]: m for m in answer.get("includes", {}).get("media", [])}
        for tweet in data:
            keys = (tweet.get("attachments") or {}).get("media_keys", [])
            videos = [media[k] for k in keys if media.get(k, {}).get("type") == "video"]
            urls = (tweet.get("entities") or {}).get("urls", [])
            first = tweet.get("edit_history_tweet_ids", [tweet["id"]])[0]
            out[first] = {
                "text": typed((tweet.get("note_tweet") or {}).get("text") or tweet["text"]),
                "author_handle": users[tweet["author_id"]]["username"],
                "published_at": datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00")),
                "links": [u.get("expanded_url") or u["url"] for u in urls],
                "duration_seconds": videos[0]["duration_ms"] / 1000
                if videos and "duration_ms" in videos[0]
                else None,
                "raw_text": tweet["text"],
            }
    return out


def test_real_x_search_pages_harvest_into_the_posts_x_recorded(
    tmp_path: Path, replaying: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, replaying.base_url, db_url, consent=False)
    outcome = setup.cli("harvest", "--platform", "x")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr

    want = expected()
    with session_factory(db_url)() as session:
        rows = {r.native_id: r for r in session.scalars(select(Post).where(Post.platform == "x"))}
        assert set(rows) == set(want)
        for native_id, post in want.items():
            row = rows[native_id]
            got = {
                "text": row.text,
                "author_handle": row.author_handle,
                "published_at": row.published_at,
                "links": row.links,
                "duration_seconds": row.duration_seconds,
            }
            assert got == {k: v for k, v in post.items() if k != "raw_text"}, native_id
        escaped = [n for n, p in want.items() if "&amp;" in p["raw_text"]]
        assert escaped, "the recordings carry &amp; in text"
        assert not any("&amp;" in rows[n].text for n in escaped)
        # the edited post (edited.jsonl) is one post, under its original id
        edited = next(a for a in read_jsonl(RECORDED / "edited.jsonl"))["data"][0]
        assert edited["edit_history_tweet_ids"][0] in rows
        assert edited["id"] not in rows or edited["id"] == edited["edit_history_tweet_ids"][0]
        # a recorded video keeps its recorded length (media_tweet.jsonl: 71292 ms)
        assert 71.292 in [r.duration_seconds for r in rows.values()]
