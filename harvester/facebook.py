"""Facebook: the public posts that tag the campaign's Page (hashtags do not work there).

Graph answers newest first; a run pages down with `until` and remembers `since` for the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from config.clock import Clock
from config.retry import retry
from harvester.common import (
    GarbledPage,
    HarvestedPost,
    Page,
    hashtags_in,
    mentions_in,
    tolerant,
    urls_in,
)
from platforms import graph
from platforms.base import reraise
from platforms.facebook import FacebookHarvest

FIELDS = (
    "id,message,created_time,permalink_url,from,"
    "attachments{media_type,type,url,target,media,video_duration}"
)


def _absolute(link: str) -> str:
    # Graph gives video permalinks relative to the site
    return f"https://www.facebook.com{link}" if link.startswith("/") else link


def page_to_posts(page: dict[str, Any]) -> list[HarvestedPost]:
    """A /{page-id}/tagged (or feed) answer → posts (pure)."""
    posts = []
    for item in page.get("data", []):
        attachments = (item.get("attachments") or {}).get("data") or []
        video = next((a for a in attachments if "video" in str(a.get("media_type", ""))), None)
        # posts carry a message; the Page's video objects a description instead
        text = item.get("message") or item.get("description") or ""
        sender = item.get("from") or {}
        created = item.get("created_time")
        posts.append(
            HarvestedPost(
                platform="facebook",
                native_id=str(item["id"]),
                url=_absolute(item.get("permalink_url") or f"/{item['id']}"),
                text=text,
                published_at=datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z") if created else None,
                author_id=sender.get("id"),
                author_name=sender.get("name"),
                hashtags=hashtags_in(text),
                mentions=mentions_in(text),
                links=urls_in(text),
                media_type="video"
                if video or "length" in item
                else ("image" if attachments else None),
                media_url=(video or {}).get("url"),
                duration_seconds=(video or {}).get("video_duration") or item.get("length"),
                raw=item,
            )
        )
    return posts


class FacebookCollector:
    platform = "facebook"

    def __init__(self, session: Any, settings: FacebookHarvest, token: str, clock: Clock) -> None:
        self.session, self.settings, self.token, self.clock = session, settings, token, clock
        self.url = f"{settings.base_url}/{settings.graph_version}/{settings.page_id}/tagged"
        self.query = f"/{settings.page_id}/tagged"

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            now = self.clock.now()
            try:
                response = self.session.get(
                    self.url, params=params, headers={"Authorization": f"Bearer {self.token}"}
                )
                body = response.json() if response.status_code < 500 else None
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                reraise(graph.classify, exc, "facebook tagged", now)
            error = graph.classify_answer(response.status_code, body, "facebook", now)
            if error is not None:
                raise error
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise GarbledPage("the answer has no data list")
            return body

        return retry(call, self.clock, self.settings.max_retries, "facebook tagged")

    def pages(self, position: dict[str, Any]) -> Iterator[Page]:
        # Pages follow Graph's `after` cursor (no post twice, none lost when several share
        # a second); `since` is where the last complete run stopped.
        since, after = position.get("since"), position.get("after")
        run_newest = position.get("run_newest")
        while True:
            params: dict[str, Any] = {"fields": FIELDS, "limit": 100}
            if since:
                params["since"] = since
            if after:
                params["after"] = after
            body = self._get(params)
            posts, unreadable = tolerant(page_to_posts, body, "data", "facebook")
            if not posts:
                yield Page(
                    [],
                    {"since": since, "run_newest": run_newest, "after": after},
                    unreadable=unreadable,
                )
                return
            stamps = [int(p.published_at.timestamp()) for p in posts if p.published_at]
            run_newest = run_newest or max(stamps)
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            yield Page(
                posts,
                {"since": since, "run_newest": run_newest, "after": after},
                unreadable=unreadable,
            )
            if not paging.get("next") or not after:
                return

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        return {"since": position.get("run_newest") or position.get("since")}
