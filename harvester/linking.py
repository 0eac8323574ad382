"""One testimony, however many platforms carry it: posts are grouped so staff review it
once and it is published once per target.

Two posts are the same testimony when one links to the other's video (a tweet pointing at
the YouTube original), or when their words match (fingerprint) within a few days.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Post
from harvester.common import HarvestedPost

YOUTUBE_ID = re.compile(r"(?:youtube\.com/(?:watch\?v=|shorts/|embed/)|youtu\.be/)([\w-]{11})")
SAME_TESTIMONY_WINDOW = timedelta(days=3)


def linked_video_ids(links: list[str]) -> list[str]:
    return [m.group(1) for link in links if (m := YOUTUBE_ID.search(link))]


def find_testimony(
    session: Session, campaign_id: str, post: HarvestedPost, fingerprint: str | None
) -> int | None:
    """The testimony an incoming post belongs to, if one is already stored."""
    video_ids = linked_video_ids(post.links)
    if video_ids:
        found = session.scalar(
            select(Post.testimony_id)
            .where(
                Post.campaign_id == campaign_id,
                Post.platform == "youtube",
                Post.native_id.in_(video_ids),
                Post.testimony_id.is_not(None),
            )
            .limit(1)
        )
        if found is not None:
            return found
    if fingerprint is None:
        return None
    query = select(Post.testimony_id, Post.published_at).where(
        Post.campaign_id == campaign_id,
        Post.fingerprint == fingerprint,
        Post.platform != post.platform,
        Post.testimony_id.is_not(None),
    )
    for testimony_id, published_at in session.execute(query.limit(20)):
        if (
            post.published_at is None
            or published_at is None
            or abs(published_at - post.published_at) <= SAME_TESTIMONY_WINDOW
        ):
            return int(testimony_id or 0) or None
    return None
