"""Instagram through the Graph API's hashtag search (the compliant path): ig_hashtag_search,
then /{hashtag-id}/recent_media. Only the last 24 hours, no usernames, 30 hashtags a week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from config.clock import Clock
from config.credentials import require_env
from config.errors import ConfigError, CredentialRejected, WorkFailed
from config.schema import InstagramHarvest, LoadedCampaign
from harvester.common import (
    GarbledPage,
    HarvestedPost,
    Page,
    TransientError,
    hashtags_in,
    mentions_in,
    try_later,
    urls_in,
    with_retries,
)


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
        from platforms.clients import graph_session

        ig = loaded.settings.platforms.instagram
        assert ig is not None
        if not ig.ig_user_id:
            raise ConfigError(
                f"{loaded.path}: platforms.instagram.ig_user_id is required for the graph collector"
            )
        token = require_env(
            ig.access_token_env, "platforms.instagram.access_token_env", loaded.settings
        )
        return cls(graph_session(ig.timeout_seconds), ig, token, tag, clock)

    def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            response = self.session.get(
                url, params=params, headers={"Authorization": f"Bearer {self.token}"}
            )
            if response.status_code >= 500:
                raise TransientError(f"HTTP {response.status_code}")
            try:
                body = response.json()
            except ValueError as exc:
                raise GarbledPage("not JSON") from exc
            error = body.get("error") if isinstance(body, dict) else None
            if error:
                if error.get("code") in (190, 102, 2500):
                    raise CredentialRejected("instagram: the platform rejected the Graph token")
                if error.get("code") in (4, 17, 32, 613):
                    raise try_later("instagram", "Graph API rate limit", None)
                raise WorkFailed(f"instagram: {error.get('message', 'error')}")
            return body  # type: ignore[no-any-return]

        return with_retries(call, self.clock, self.settings.max_retries, "instagram graph")

    def pages(self, position: dict[str, Any]) -> Iterator[Page]:
        user = {"user_id": self.settings.ig_user_id}
        found = self._get(f"{self.root}/ig_hashtag_search", {**user, "q": self.tag})
        hashtag_id = found["data"][0]["id"]
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
            yield Page(posts, {"seen": sorted(seen)[-2000:]}, 2 if not posts else 1)
            if not (body.get("paging") or {}).get("next"):
                return

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        return position
