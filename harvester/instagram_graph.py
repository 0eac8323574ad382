"""Instagram through the Graph API's hashtag search (the compliant path): ig_hashtag_search,
then /{hashtag-id}/recent_media. Only the last 24 hours, no usernames, 30 hashtags a week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from config.clock import Clock
from config.credentials import require_env
from config.errors import ConfigError, WorkFailed
from config.retry import retry
from config.schema import LoadedCampaign
from harvester.common import GarbledPage, HarvestedPost, Page, hashtags_in, mentions_in, urls_in
from platforms import graph, http
from platforms.base import reraise
from platforms.instagram import InstagramHarvest, hashtag_problem


def page_to_posts(page: dict[str, Any]) -> list[HarvestedPost]:
    """A recent_media answer → posts (pure); the Graph API gives no author."""
    posts = []
    for item in page.get("data", []):
        text = item.get("caption", "")
        stamp = item.get("timestamp")
        posts.append(
            HarvestedPost(
                platform="instagram",
                native_id=str(item["id"]),
                url=item.get("permalink", ""),
                text=text,
                published_at=datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z") if stamp else None,
                hashtags=hashtags_in(text),
                mentions=mentions_in(text),
                links=urls_in(text),
                media_type="video" if item.get("media_type") in ("VIDEO", "REELS") else "image",
                media_url=item.get("media_url"),
                raw=item,
            )
        )
    return posts


class GraphHashtagCollector:
    platform = "instagram"

    def __init__(
        self, session: Any, settings: InstagramHarvest, token: str, tag: str, clock: Clock
    ) -> None:
        self.session, self.settings, self.token, self.clock = session, settings, token, clock
        self.tag = tag.lower()
        self.query = f"graph #{self.tag}"
        self.root = f"{settings.graph_base_url}/{settings.graph_version}"

    @classmethod
    def build(cls, loaded: LoadedCampaign, tag: str, clock: Clock) -> GraphHashtagCollector:
        ig = loaded.settings.platforms.instagram
        assert ig is not None
        if not ig.ig_user_id:
            raise ConfigError(
                f"{loaded.path}: platforms.instagram.ig_user_id is required for the graph collector"
            )
        too_many = hashtag_problem(loaded.settings.campaign.hashtags)
        if too_many:
            raise ConfigError(f"{loaded.path}: {too_many}")
        token = require_env(
            ig.access_token_env, "platforms.instagram.access_token_env", loaded.settings
        )
        return cls(http.session(settings=ig, section="platforms.instagram"), ig, token, tag, clock)

    def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            now = self.clock.now()
            try:
                response = self.session.get(
                    url, params=params, headers={"Authorization": f"Bearer {self.token}"}
                )
                body = response.json() if response.status_code < 500 else None
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                reraise(graph.classify, exc, "instagram graph", now)
            error = graph.classify_answer(response.status_code, body, "instagram", now)
            if error is not None:
                raise error
            if not isinstance(body, dict):
                raise GarbledPage("the answer is not a JSON object")
            return body

        return retry(call, self.clock, self.settings.max_retries, "instagram graph")

    def pages(self, position: dict[str, Any]) -> Iterator[Page]:
        user = {"user_id": self.settings.ig_user_id}
        # Hashtag ids are "static and global" (ig-hashtag-search reference): searched once,
        # kept in the position, so a run spends no search on a hashtag it already knows.
        hashtag_id = position.get("hashtag_id")
        searches = 0
        if not hashtag_id:
            found = self._get(f"{self.root}/ig_hashtag_search", {**user, "q": self.tag})
            searches = 1
            data = found.get("data") or []
            if not data or not isinstance(data[0], dict) or "id" not in data[0]:
                raise WorkFailed(f"instagram: the Graph API knows no hashtag #{self.tag}")
            hashtag_id = str(data[0]["id"])
        seen = set(position.get("seen", []))
        after: str | None = None
        while True:
            params = {
                **user,
                "limit": 50,
                "fields": "id,media_type,caption,permalink,media_url,"
                "timestamp,comments_count,like_count",
            }
            if after:
                params["after"] = after
            body = self._get(f"{self.root}/{hashtag_id}/recent_media", params)
            posts = [p for p in page_to_posts(body) if p.native_id not in seen]
            seen.update(p.native_id for p in posts)
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            # recent_media covers only 24 hours: remembering what we saw is the cursor.
            yield Page(
                posts, {"seen": sorted(seen)[-2000:], "hashtag_id": hashtag_id}, 1 + searches
            )
            searches = 0
            if not (body.get("paging") or {}).get("next"):
                return

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        return position
