"""Facebook: the public posts that tag the campaign's Page (hashtags do not work there).

Graph answers newest first; a run pages down with `until` and remembers `since` for the next.

The tagged edge gives the Page's token no author: "For user posts, the from field will only
be returned if the user making the request is the same user who created the post"
(developers.facebook.com/docs/graph-api/reference/page/tagged, Limitations). `from` is still
asked for (the Page's own posts carry it) but a person's post is stored without an author;
consent/matching.py then matches it only by a link on the form (video_urls) or the code of
our request, never by a name or account it does not have.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

from config.clock import Clock
from config.errors import WorkFailed
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

# Every field must exist on its node, or Graph fails the whole request (code 100):
# Post (reference/post) and StoryAttachment (reference/story-attachment). A video's length
# is on the Video node only: read with one multi-id request per page (VIDEO_FIELDS).
FIELDS = (
    "id,message,created_time,permalink_url,from,"
    "attachments{media_type,type,url,unshimmed_url,target,media}"
)
VIDEO_FIELDS = "length"
# "Multiple ID read requests" take up to 50 ids (developers.facebook.com/docs/graph-api/
# using-graph-api)
IDS_PER_CALL = 50


def _absolute(link: str) -> str:
    # Graph gives video permalinks relative to the site
    return f"https://www.facebook.com{link}" if link.startswith("/") else link


def _video_of(item: dict[str, Any]) -> dict[str, Any] | None:
    attachments = (item.get("attachments") or {}).get("data") or []
    return next((a for a in attachments if "video" in str(a.get("media_type", ""))), None)


def _shared(attachments: list[Any]) -> list[str]:
    """Links a post shares as an attachment (a link preview, type `share`) rather than in
    its words: `unshimmed_url` is the link as posted (reference/story-attachment)."""
    return [
        str(a["unshimmed_url"])
        for a in attachments
        if isinstance(a, dict) and a.get("type") == "share" and a.get("unshimmed_url")
    ]


def video_ids(page: dict[str, Any]) -> list[str]:
    """The Video node ids of a page's video posts (their attachment's target)."""
    ids = []
    for item in page.get("data") or []:
        video = _video_of(item) if isinstance(item, dict) else None
        target = (video or {}).get("target") or {}
        if isinstance(target, dict) and target.get("id"):
            ids.append(str(target["id"]))
    return ids


def page_to_posts(
    page: dict[str, Any], lengths: dict[str, float] | None = None
) -> list[HarvestedPost]:
    """A /{page-id}/tagged (or feed) answer → posts (pure); `lengths`: seconds per video id."""
    posts = []
    lengths = lengths or {}
    for item in page.get("data", []):
        attachments = (item.get("attachments") or {}).get("data") or []
        video = _video_of(item)
        target = str(((video or {}).get("target") or {}).get("id") or "")
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
                links=list(dict.fromkeys([*urls_in(text), *_shared(attachments)])),
                media_type="video"
                if video or "length" in item
                else ("image" if attachments else None),
                media_url=(video or {}).get("unshimmed_url") or (video or {}).get("url"),
                duration_seconds=lengths.get(target) or item.get("length"),
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

    def _get(self, params: dict[str, Any], url: str | None = None) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            now = self.clock.now()
            try:
                response = self.session.get(
                    url or self.url,
                    params=params,
                    headers={"Authorization": f"Bearer {self.token}"},
                )
                body = response.json() if response.status_code < 500 else None
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                reraise(graph.classify, exc, "facebook tagged", now)
            error = graph.classify_answer(response.status_code, body, "facebook", now)
            if error is not None:
                raise error
            if not isinstance(body, dict) or (
                url is None and not isinstance(body.get("data"), list)
            ):
                raise GarbledPage("the answer has no data list")
            return body

        return retry(call, self.clock, self.settings.max_retries, "facebook tagged")

    def lengths(self, page: dict[str, Any]) -> dict[str, float]:
        """Seconds per video of a page, from the Video nodes (one call per 50 videos)."""
        ids = list(dict.fromkeys(video_ids(page)))
        found: dict[str, float] = {}
        root = f"{self.settings.base_url}/{self.settings.graph_version}/"
        for start in range(0, len(ids), IDS_PER_CALL):
            chunk = ids[start : start + IDS_PER_CALL]
            try:
                answers = self._get({"ids": ",".join(chunk), "fields": VIDEO_FIELDS}, url=root)
            except WorkFailed:
                # One video the Page's token may not read (code 100: "does not exist, cannot
                # be loaded due to missing permissions") fails the whole multi-id read: read
                # them one by one; an unreadable one keeps no length (the rules then say so)
                answers = {}
                for video_id in chunk:
                    try:
                        answers[video_id] = self._get({"fields": VIDEO_FIELDS}, url=root + video_id)
                    except WorkFailed:
                        continue
            for video_id in chunk:
                length = (answers.get(video_id) or {}).get("length")
                if isinstance(length, int | float) and not isinstance(length, bool):
                    found[video_id] = float(length)
        return found

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
            posts, unreadable = tolerant(
                partial(page_to_posts, lengths=self.lengths(body)), body, "data", "facebook"
            )
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
