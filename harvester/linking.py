"""Which stored testimony a new post may belong to: one links to the other's video (a tweet
pointing at the YouTube original), or their words match (fingerprint) within a few days.

That is only a suggestion. Namesakes who say the same scripted words ("I'm Amina, 15, from
Nairobi") on the same days are different people, and anyone may tweet a link to anyone's
video: harvesting never joins two accounts into one testimony. It records the suggestion
on the post (shown on the review card), and the matcher (consent/links.py) joins the two
only when one form names both accounts, so consent never crosses from one to the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from db.models import Post
from harvester.common import HarvestedPost
from platforms import registry

SAME_TESTIMONY_WINDOW = timedelta(days=3)
# a testimony stored already (its id), or one of this page's new ones (its index, boxed)
Owner = int | tuple[int]
# a video: its platform and its id there
Video = tuple[str, str]
# built once (store.STORED says why): stored videos by id, stored posts by their words
VIDEOS = select(Post.native_id, Post.testimony_id).where(
    Post.campaign_id == bindparam("campaign"),
    Post.platform == bindparam("platform"),
    Post.native_id.in_(bindparam("ids", expanding=True)),
    Post.testimony_id.is_not(None),
)
WORDS = (
    select(Post.fingerprint, Post.platform, Post.published_at, Post.testimony_id)
    .where(
        Post.campaign_id == bindparam("campaign"),
        Post.fingerprint.in_(bindparam("marks", expanding=True)),
        Post.testimony_id.is_not(None),
    )
    .order_by(Post.id)
)


def _video_links() -> list[tuple[str, re.Pattern[str]]]:
    # asked each time, not cached: a platform registered later counts too
    return [(p.name, p.video_link) for p in registry.all_platforms() if p.video_link]


def linked_videos(links: list[str]) -> list[Video]:
    """The videos that `links` point at, on every platform whose video links are known."""
    known = _video_links()
    return [
        (platform, m.group(1))
        for link in links
        for platform, pattern in known
        if (m := pattern.search(link))
    ]


@dataclass
class Links:
    """What a page's new posts can join: stored YouTube videos they link to, stored posts
    with the same words, and the page's own posts as they are placed."""

    videos: dict[Video, Owner] = field(default_factory=dict)
    words: dict[str, list[tuple[str, datetime | None, Owner]]] = field(default_factory=dict)

    @classmethod
    def load(
        cls, session: Session, campaign_id: str, videos: list[Video], marks: list[str]
    ) -> Links:
        links = cls()
        for platform in sorted({platform for platform, _ in videos}):
            wanted = sorted({native_id for on, native_id in videos if on == platform})
            for chunk in _chunks(wanted):
                for native_id, testimony_id in session.execute(
                    VIDEOS, {"campaign": campaign_id, "platform": platform, "ids": chunk}
                ):
                    links.videos[platform, native_id] = int(testimony_id or 0)
        for chunk in _chunks(sorted(set(marks))):
            for mark, platform, published_at, testimony_id in session.execute(
                WORDS, {"campaign": campaign_id, "marks": chunk}
            ):
                links.words.setdefault(str(mark), []).append(
                    (platform, published_at, int(testimony_id or 0))
                )
        return links

    def find(self, post: HarvestedPost, mark: str | None) -> tuple[Owner, str] | None:
        """The testimony an incoming post may belong to, and why (`links_to_video` or
        `same_words`): a suggestion for the reviewer and the matcher, never a join."""
        for video in linked_videos(post.links):
            if video in self.videos:
                return self.videos[video], "links_to_video"
        for platform, published_at, owner in self.words.get(mark or "", []):
            if platform != post.platform and (
                post.published_at is None
                or published_at is None
                or abs(_aware(published_at) - _aware(post.published_at)) <= SAME_TESTIMONY_WINDOW
            ):
                return owner, "same_words"
        return None

    def remember(self, post: HarvestedPost, mark: str | None, owner: Owner) -> None:
        """A later post of the same page may link to this one."""
        if any(platform == post.platform for platform, _ in _video_links()):
            self.videos.setdefault((post.platform, post.native_id), owner)
        if mark:
            self.words.setdefault(mark, []).append((post.platform, post.published_at, owner))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive UTC; what the platforms send is aware
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
