"""Bluesky: app.bsky.feed.searchPosts for each campaign hashtag, through the atproto SDK.

The lexicon's `tag` filter is AND-matched (bluesky-social/atproto,
lexicons/app/bsky/feed/searchPosts.json), so each hashtag is its own collector, as on
Instagram. A run pages down newest first (sort=latest) with the server's cursor; each stored
page records it, so a killed run resumes where it stopped, and the next run asks only
`since` the newest post of the last complete run (inclusive: that one post comes back and is
recognised as unchanged).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from config.clock import Clock
from config.retry import retry
from harvester.common import GarbledPage, HarvestedPost, Page, hashtags_in, mentions_in, urls_in
from platforms.base import reraise
from platforms.bluesky import BlueskyHarvest, classify, native_id_of, post_url

TAG = "app.bsky.richtext.facet#tag"
MENTION = "app.bsky.richtext.facet#mention"
LINK = "app.bsky.richtext.facet#link"
VIDEO = "app.bsky.embed.video#view"


def _stamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def page_to_posts(page: dict[str, Any]) -> list[HarvestedPost]:
    """One searchPosts answer (app.bsky.feed.defs#postView items) → posts (pure)."""
    posts = []
    for view in page.get("posts") or []:
        record = view.get("record") or {}
        author = view.get("author") or {}
        text = str(record.get("text", ""))
        features = [f for facet in record.get("facets") or [] for f in facet.get("features") or []]
        tags = [f["tag"] for f in features if f.get("$type") == TAG and f.get("tag")]
        links = [f["uri"] for f in features if f.get("$type") == LINK and f.get("uri")]
        embed = view.get("embed") or {}
        video = embed if embed.get("$type") == VIDEO else None
        posts.append(
            HarvestedPost(
                platform="bluesky",
                native_id=native_id_of(str(view["uri"])),
                url=post_url(str(author.get("handle") or author.get("did")), str(view["uri"])),
                text=text,
                published_at=_stamp(record.get("createdAt") or view.get("indexedAt")),
                author_id=author.get("did"),
                author_handle=author.get("handle"),
                author_name=author.get("displayName"),
                hashtags=list(dict.fromkeys(tags + list(record.get("tags") or [])))
                or hashtags_in(text),
                mentions=mentions_in(text),
                links=links or urls_in(text),
                media_type="video" if video else ("image" if embed else None),
                media_url=(video or {}).get("thumbnail"),
                # no lexicon gives a video's length: the length rule cannot judge it
                duration_seconds=None,
                raw={"post": view},
            )
        )
    return posts


class BlueskyCollector:
    platform = "bluesky"

    def __init__(self, client: Any, settings: BlueskyHarvest, tag: str, clock: Clock) -> None:
        self.client, self.settings, self.clock = client, settings, clock
        self.tag = tag
        self.query = f"searchPosts #{tag}"

    def _search(self, since: str | None, cursor: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "q": f"#{self.tag}",
            "tag": [self.tag],
            "sort": "latest",
            "limit": self.settings.limit,
        }
        if since:
            params["since"] = since
        if cursor:
            params["cursor"] = cursor

        def call() -> dict[str, Any]:
            try:
                answer = self.client.app.bsky.feed.search_posts(params=params)
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                reraise(classify, exc, "searchPosts", self.clock.now())
            body: dict[str, Any] = answer.model_dump(by_alias=True, exclude_none=True, mode="json")
            if not isinstance(body.get("posts"), list):
                raise GarbledPage("the answer has no posts list")
            return body

        return retry(call, self.clock, self.settings.max_retries, "bluesky searchPosts")

    def pages(self, position: dict[str, Any]) -> Iterator[Page]:
        since, cursor = position.get("since"), position.get("cursor")
        run_newest = position.get("run_newest")
        while True:
            body = self._search(since, cursor)
            posts = page_to_posts(body)
            if not posts:
                yield Page([], {"since": since, "run_newest": run_newest, "cursor": cursor})
                return
            stamps = [p["indexedAt"] for p in body["posts"] if p.get("indexedAt")]
            run_newest = run_newest or (max(stamps) if stamps else None)
            cursor = body.get("cursor")
            yield Page(
                posts, {"since": since, "run_newest": run_newest, "cursor": cursor}, cursor=cursor
            )
            if not cursor:
                return

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        return {"since": position.get("run_newest") or position.get("since")}
