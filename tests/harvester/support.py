"""What the harvester tests share: the posts a campaign should yield, what got stored, and
what the sandbox was asked (request counts from /__sandbox__/stats)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from db.models import Post
from sandbox.constants import HASHTAGS
from tests.sandboxed import Setup, session_factory

Key = tuple[str, str]


def harvestable(platform: str, text: str) -> bool:
    """Hashtag searches (X, YouTube, Instagram) only find posts carrying a campaign hashtag;
    Facebook is read from the Page's tagged posts, where every world post is."""
    lowered = text.lower()
    return platform == "facebook" or any(f"#{tag.lower()}" in lowered for tag in HASHTAGS)


def truth(base_url: str) -> set[Key]:
    rows = requests.get(f"{base_url}/__sandbox__/truth", timeout=10).json()
    return {(row["platform"], row["native_id"]) for row in rows}


def expected(sandbox: Any) -> set[Key]:
    """The seeded campaign as the platforms would show it: truth, minus untagged posts."""
    texts = {(p.platform, p.native_id): p.text for p in sandbox.state.world.posts}
    return {key for key in truth(sandbox.base_url) if harvestable(key[0], texts[key])}


def stored(db_url: str) -> list[Key]:
    """Every stored (platform, native id), duplicates included (a list, not a set)."""
    sessions = session_factory(db_url)
    with sessions() as session:
        rows = session.execute(select(Post.platform, Post.native_id)).all()
        assert session.scalar(select(func.count()).select_from(Post)) == len(rows)
    sessions.kw["bind"].dispose()
    return [(platform, native_id) for platform, native_id in rows]


def stored_set(db_url: str) -> set[Key]:
    rows = stored(db_url)
    duplicates = [key for key, n in Counter(rows).items() if n > 1]
    assert not duplicates, f"stored twice: {duplicates[:5]}"
    return set(rows)


def requests_made(setup: Setup) -> dict[str, int]:
    """Requests per 'platform endpoint' so far."""
    counts = setup.stats()["requests"]
    return {f"{p} {e}": n for p, per in counts.items() for e, n in per.items()}


def diff(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    changed = {k: after[k] - before.get(k, 0) for k in after}
    return {k: n for k, n in changed.items() if n}


def edit_platforms(config: Path, **settings: dict[str, str]) -> None:
    """Add settings to [platforms.<name>] tables of a campaign file (TOML values as text)."""
    text = config.read_text()
    for platform, values in settings.items():
        lines = "".join(f"{k} = {v}\n" for k, v in values.items())
        text, n = re.subn(rf"^\[platforms\.{platform}\]\n", rf"\g<0>{lines}", text, flags=re.M)
        assert n == 1, platform
    config.write_text(text)


X_SEARCH = "x GET /2/tweets/search/recent"
YT_SEARCH = "youtube GET /youtube/v3/search"
YT_VIDEOS = "youtube GET /youtube/v3/videos"
YT_CHANNELS = "youtube GET /youtube/v3/channels"
IG_GRAPHQL = "instagram GET /graphql/query"
FB_TAGGED = "graph GET /v25.0/{id}/tagged"
# the Video nodes of a tagged page's videos, 50 ids a call (their length: harvester/facebook.py)
FB_VIDEOS = "graph GET /v25.0"
