"""The hashtag and mention rules, and the links between copies, ask the registry which
platforms find posts by a page tag and whose video links are known: a platform registered
with those capabilities, and nothing else, is treated as Facebook and YouTube are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from config.schema import Campaign
from harvester.common import HarvestedPost
from harvester.linking import Links, linked_videos
from harvester.rules import PageRules
from platforms import registry
from platforms.base import Platform

CAMPAIGN = Campaign.model_validate(
    {
        "campaign": {
            "id": "camp",
            "name": "C",
            "hashtags": ["LearningNeverStops"],
            "mentions": ["UNESCO"],
            "start": "2026-01-01",
        },
        "rules": {"require_hashtag": True, "require_mention": True},
    }
)


@pytest.fixture
def tagstream() -> Iterator[str]:
    registry.register(
        Platform(
            name="tagstream",
            label="Tagstream",
            capabilities={},
            found_by_page_tag=True,
            video_link=re.compile(r"tagstream\.example/v/([0-9]{6})"),
        )
    )
    yield "tagstream"
    registry.unregister("tagstream")


def post(platform: str, native_id: str, links: list[str] | None = None) -> HarvestedPost:
    return HarvestedPost(
        platform=platform,
        native_id=native_id,
        author_id="a1",
        author_handle="amina",
        url=f"https://{platform}.example/{native_id}",
        text="My city taught me",
        published_at=datetime(2026, 3, 1, tzinfo=UTC),
        media_type="video",
        links=links or [],
    )


def test_a_page_tag_platform_needs_no_hashtag_or_mention(tagstream: str) -> None:
    rules = PageRules(CAMPAIGN)
    assert rules.problems(post(tagstream, "1")) == []
    assert rules.problems(post("facebook", "1_2")) == []
    assert rules.problems(post("x", "2")) == ["no campaign hashtag", "no @UNESCO mention"]


def test_a_link_to_a_registered_platforms_video_suggests_its_testimony(tagstream: str) -> None:
    tweet = post(
        "x", "9", links=["https://tagstream.example/v/123456", "https://youtu.be/abcdefghijk"]
    )
    assert linked_videos(tweet.links) == [(tagstream, "123456"), ("youtube", "abcdefghijk")]
    links = Links()
    links.remember(post(tagstream, "123456"), None, 7)
    assert links.find(tweet, None) == (7, "links_to_video")
    # the same id on a platform whose video links are unknown is not that video
    other = Links()
    other.remember(post("x", "123456"), None, 8)
    assert other.find(tweet, None) is None
