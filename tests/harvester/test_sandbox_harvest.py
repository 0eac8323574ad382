"""`storydesk harvest` against the sandbox: everything once, then only what is new, at the
fewest requests the platforms allow (counted by the sandbox, not by us)."""

from __future__ import annotations

from math import ceil
from typing import Any

from sqlalchemy import select

from db.models import HarvestRun, Post
from platforms import registry
from sandbox.constants import HASHTAGS
from tests.harvester.support import (
    FB_TAGGED,
    FB_VIDEOS,
    IG_GRAPHQL,
    X_SEARCH,
    YT_CHANNELS,
    YT_SEARCH,
    YT_VIDEOS,
    diff,
    expected,
    requests_made,
    stored_set,
    truth,
)
from tests.sandboxed import Setup, session_factory

X_PAGE, YT_PAGE, IG_PAGE, FB_PAGE = 100, 50, 12, 100
BSKY_SESSION = "bluesky POST /xrpc/com.atproto.server.createSession"
BSKY_SEARCH = "bluesky GET /xrpc/app.bsky.feed.searchPosts"


def harvest_ok(setup: Setup) -> str:
    outcome = setup.cli("harvest")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    return outcome.stdout


def test_the_whole_seeded_campaign_is_harvested_from_all_four_platforms(
    ready: Setup, sandbox: Any
) -> None:
    out = harvest_ok(ready)
    for platform in registry.names("harvest"):
        assert f"{platform}: ok:" in out
    want = expected(sandbox)
    got = stored_set(ready.db_url)
    assert got == want
    assert {p for p, _ in got} == set(registry.names("harvest"))
    # what truth has beyond that is only the few posts that carry no campaign hashtag
    left_out = truth(sandbox.base_url) - got
    assert len(left_out) < len(got) / 5
    assert not {p for p, _ in left_out} & {"facebook"}


def _new_channel_lookups(sandbox: Any, db_url: str, added: list[Any]) -> int:
    """channels.list is asked once per search page that shows a channel not stored yet."""
    with session_factory(db_url)() as session:
        known = set(session.scalars(select(Post.author_id).where(Post.platform == "youtube")).all())
    people = sandbox.state.world.people
    newest_first = sorted(added, key=lambda p: p.published_at, reverse=True)
    lookups = 0
    for start in range(0, len(newest_first), YT_PAGE):
        channels = {people[p.person].ids["youtube"] for p in newest_first[start : start + YT_PAGE]}
        lookups += bool(channels - known)
        known |= channels
    return lookups


def _video_pages(posts: list[Any]) -> int:
    """Video reads: 50 ids a call, per tagged page of 100 posts."""
    newest_first = sorted(posts, key=lambda p: p.published_at, reverse=True)
    return sum(
        ceil(sum(p.is_video for p in newest_first[start : start + FB_PAGE]) / 50)
        for start in range(0, len(newest_first), FB_PAGE)
    )


def test_a_second_run_costs_one_request_per_query_and_new_posts_cost_the_minimum(
    ready: Setup, sandbox: Any
) -> None:
    harvest_ok(ready)
    first = stored_set(ready.db_url)

    before = requests_made(ready)
    harvest_ok(ready)
    second = diff(before, requests_made(ready))
    assert stored_set(ready.db_url) == first
    assert second == {
        X_SEARCH: 1,
        YT_SEARCH: 1,
        IG_GRAPHQL: len(HASHTAGS),
        FB_TAGGED: 1,
        # Bluesky: a session (no profile: searching needs none), then one search per hashtag
        # (its tag filter is AND-matched)
        BSKY_SESSION: 1,
        BSKY_SEARCH: len(HASHTAGS),
    }
    with session_factory(ready.db_url)() as session:
        runs = session.execute(
            select(HarvestRun.platform, HarvestRun.new_count).order_by(HarvestRun.id)
        ).all()
    # one run row per platform query and run:
    # 2 runs x (X 1 + YouTube 1 + Instagram one per hashtag + Facebook 1 + Bluesky one per hashtag)
    assert len(runs) == 2 * (3 + 2 * len(HASHTAGS))
    assert sum(new for _, new in runs[len(runs) // 2 :]) == 0

    added_ids = {
        (a["platform"], a["native_id"]) for a in ready.control("posts", {"count": 250})["added"]
    }
    added = [p for p in sandbox.state.world.posts if (p.platform, p.native_id) in added_ids]
    assert len(added) == 250
    by_platform = {
        name: [p for p in added if p.platform == name]
        for name in ("x", "youtube", "instagram", "facebook")
    }
    yt_pages = max(1, ceil(len(by_platform["youtube"]) / YT_PAGE))
    minimum = {
        X_SEARCH: max(1, ceil(len(by_platform["x"]) / X_PAGE)),
        YT_SEARCH: yt_pages,
        # videos.list in batches of 50: one per search page that found videos
        YT_VIDEOS: ceil(len(by_platform["youtube"]) / YT_PAGE),
        YT_CHANNELS: _new_channel_lookups(sandbox, ready.db_url, by_platform["youtube"]),
        # instaloader pages 12 at a time with no "since": a query must see the first old post
        # to stop, so n new posts take n // 12 + 1 pages (ceil(n / 12) unless n is a multiple)
        IG_GRAPHQL: sum(
            sum(f"#{tag.lower()}" in p.text.lower() for p in by_platform["instagram"]) // IG_PAGE
            + 1
            for tag in HASHTAGS
        ),
        FB_TAGGED: max(1, ceil(len(by_platform["facebook"]) / FB_PAGE)),
        # one Video read per tagged page that holds videos (a length is not on a post)
        FB_VIDEOS: _video_pages(by_platform["facebook"]),
        # the sandbox adds new posts on the world's four platforms only (Bluesky holds
        # cross-posts of the seeded testimonies): a session and one search per hashtag
        BSKY_SESSION: 1,
        BSKY_SEARCH: len(HASHTAGS),
    }
    assert not [p for p in added if p.platform == "bluesky"]
    before = requests_made(ready)
    harvest_ok(ready)
    assert diff(before, requests_made(ready)) == {k: n for k, n in minimum.items() if n}
    assert stored_set(ready.db_url) == first | added_ids == expected(sandbox)
