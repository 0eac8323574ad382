"""YouTube: search.list for the hashtags in one `|` query, then videos.list (50 at a time)
for duration and tags, and channels.list only for channels not seen before.

Quota is the limit here: pages are planned within what is left of the Pacific day, in each
bucket (since 2026 search.list has a bucket of its own, 100 calls a day; the rest share the
project's 10,000 units: developers.google.com/youtube/v3/determine_quota_cost), and a 403
quotaExceeded stops the run cleanly until the day turns.

A search serves about 500 results however many pages are asked for: when its pages run out
while it counted more, the run walks on in a publishedBefore window below the oldest video
seen, so a large backlog is harvested whole.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from config.clock import Clock
from config.retry import retry
from config.schema import Campaign
from db.quota import day_end
from harvester.common import (
    GarbledPage,
    HarvestedPost,
    Page,
    hashtags_in,
    mentions_in,
    tolerant,
    try_later,
    urls_in,
)
from platforms.base import reraise
from platforms.youtube import YouTubeHarvest, classify

DURATION = re.compile(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def parse_duration(value: str | None) -> float | None:
    match = DURATION.match(value or "")
    if not value or not match:
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def next_before(oldest: str) -> str:
    """publishedBefore for resuming a killed run: one second past the oldest video stored,
    because publishedBefore is exclusive and another video may share that second (stored
    twice is harmless, lost is not)."""
    stamp = datetime.fromisoformat(oldest.replace("Z", "+00:00")) + timedelta(seconds=1)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_to_ids(search: dict[str, Any]) -> list[str]:
    """A search.list answer → the video ids to look up with videos.list (pure)."""
    return [
        item["id"]["videoId"]
        for item in search.get("items", [])
        if (item.get("id") or {}).get("videoId")
    ]


def page_to_posts(
    videos: dict[str, Any], channels: dict[str, dict[str, Any]]
) -> list[HarvestedPost]:
    """A videos.list answer (+ known channels by id) → posts (pure)."""
    posts = []
    for item in videos.get("items", []):
        snippet = item.get("snippet", {})
        details = item.get("contentDetails", {})
        text = f"{snippet.get('title', '')}\n{snippet.get('description', '')}".strip()
        channel = channels.get(snippet.get("channelId", ""), {})
        handle = (channel.get("snippet") or {}).get("customUrl")
        published = snippet.get("publishedAt")
        tags = list(
            dict.fromkeys([*hashtags_in(text), *(t.lstrip("#") for t in snippet.get("tags", []))])
        )
        posts.append(
            HarvestedPost(
                platform="youtube",
                native_id=item["id"],
                url=f"https://www.youtube.com/watch?v={item['id']}",
                text=text,
                published_at=datetime.fromisoformat(published.replace("Z", "+00:00"))
                if published
                else None,
                author_id=snippet.get("channelId"),
                author_handle=handle,
                author_name=snippet.get("channelTitle"),
                hashtags=tags,
                mentions=mentions_in(text),
                links=urls_in(text),
                media_type="video",
                media_url=((snippet.get("thumbnails") or {}).get("default") or {}).get("url"),
                duration_seconds=parse_duration(details.get("duration")),
                raw={"video": item, "channel": channel},
                body=snippet.get("description"),
            )
        )
    return posts


class YouTubeCollector:
    platform = "youtube"

    def __init__(
        self,
        client: Any,
        settings: YouTubeHarvest,
        campaign: Campaign,
        clock: Clock,
        quota_left: Callable[[str], int],
        known_channels: Callable[[list[str]], set[str]],
    ) -> None:
        self.client, self.settings, self.clock = client, settings, clock
        self.query = "|".join(campaign.campaign.hashtags)
        self.quota_left, self.known_channels = quota_left, known_channels
        self.costs = settings.costs

    def _execute(self, request: Any, what: str) -> dict[str, Any]:
        request._sleep = self.clock.sleep  # googleapiclient's own waits, on our clock

        def call() -> dict[str, Any]:
            try:
                answer = request.execute()
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                reraise(classify, exc, what, self.clock.now())
            if not isinstance(answer, dict):
                raise GarbledPage(f"youtube {what}: not a JSON object")
            return answer

        return retry(call, self.clock, self.settings.max_retries, f"youtube {what}")

    def _bucket(self, method: str) -> str:
        """The quota bucket a method draws from: its own, or the shared one ("")."""
        return method if method in self.settings.buckets else ""

    def _spend(self, method: str, into: dict[str, int]) -> None:
        bucket = self._bucket(method)
        into[bucket] = into.get(bucket, 0) + self.costs.get(method, 1)

    def _enough_for_a_page(self) -> bool:
        need: dict[str, int] = {}
        for method in ("search.list", "videos.list", "channels.list"):
            self._spend(method, need)
        return all(self.quota_left(bucket) >= units for bucket, units in need.items())

    def pages(self, position: dict[str, Any]) -> Iterator[Page]:
        after = position.get("published_after")
        before = position.get("published_before")
        run_newest = position.get("run_newest")
        # Within a run the search pages on with its tokens (no page shows a video twice);
        # what is stored for a resume is a date bound, which outlives any token.
        token: str | None = None
        resume_before = before
        seen_in_window = 0
        while True:
            if not self._enough_for_a_page():
                raise try_later(
                    "youtube",
                    "not enough quota left today for another page",
                    day_end(self.clock.now()),
                )
            search = self._execute(
                self.client.search().list(
                    part="snippet",
                    q=self.query,
                    type="video",
                    order="date",
                    maxResults=50,
                    publishedAfter=after,
                    publishedBefore=before,
                    pageToken=token,
                ),
                "search.list",
            )
            spent: dict[str, int] = {}
            self._spend("search.list", spent)
            ids = search_to_ids(search)
            if not ids:
                yield Page(
                    [],
                    {
                        "published_after": after,
                        "run_newest": run_newest,
                        "published_before": resume_before,
                    },
                    1,
                    spent.get("", 0),
                    quota_buckets={b: u for b, u in spent.items() if b},
                )
                return
            videos = self._execute(
                self.client.videos().list(
                    part="snippet,contentDetails,status", id=",".join(ids), maxResults=50
                ),
                "videos.list",
            )
            self._spend("videos.list", spent)
            requests = 2
            # one look-up for the page's channels, not one per video
            seen = {
                channel
                for v in videos.get("items", [])
                if isinstance(v, dict)
                and isinstance(v.get("snippet"), dict)
                and isinstance(channel := v["snippet"].get("channelId"), str)
            }
            new_channels = sorted(seen - self.known_channels(sorted(seen)))
            channels: dict[str, dict[str, Any]] = {}
            if new_channels:
                found = self._execute(
                    self.client.channels().list(
                        part="snippet", id=",".join(new_channels[:50]), maxResults=50
                    ),
                    "channels.list",
                )
                channels = {c["id"]: c for c in found.get("items", [])}
                requests = 3
                self._spend("channels.list", spent)
            posts, unreadable = tolerant(
                functools.partial(page_to_posts, channels=channels), videos, "items", "youtube"
            )
            published = [
                stamp
                for i in search["items"]
                if isinstance(i, dict)
                and isinstance(i.get("snippet"), dict)
                and isinstance(stamp := i["snippet"].get("publishedAt"), str)
            ]
            if not published:
                raise GarbledPage("youtube search.list: no item says when it was published")
            run_newest = run_newest or max(published)
            resume_before = next_before(min(published))
            token = search.get("nextPageToken")
            yield Page(
                posts,
                {
                    "published_after": after,
                    "run_newest": run_newest,
                    "published_before": resume_before,
                },
                requests,
                spent.get("", 0),
                # a page token counts from the start of its publishedBefore window, so the
                # same token comes again in the next window: the window is part of the cursor
                cursor=f"publishedBefore={before} pageToken={token}" if token else None,
                unreadable=unreadable,
                quota_buckets={b: u for b, u in spent.items() if b},
            )
            seen_in_window += len(ids)
            if token:
                continue
            counted = int((search.get("pageInfo") or {}).get("totalResults") or 0)
            oldest = min(published)
            if counted <= seen_in_window or oldest == before:
                return
            # The search stopped short of what it counted (its ~500 cap): walk on below the
            # oldest video seen (an exclusive bound: no video comes twice, so no loop).
            before, seen_in_window = oldest, 0

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        return {"published_after": position.get("run_newest") or position.get("published_after")}
