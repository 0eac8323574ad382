"""X: recent search for the campaign's hashtags with tweepy, newest first.

A run pages down with until_id from the newest tweet; each stored page records how far it
got, so a killed run resumes where it stopped, and the next run asks only since the newest.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from config.clock import Clock
from config.errors import CredentialRejected, WorkFailed
from config.schema import Campaign, XHarvest
from harvester.common import (
    GarbledPage,
    HarvestedPost,
    Page,
    TransientError,
    try_later,
    with_retries,
)

TWEET_FIELDS = "created_at,author_id,entities,attachments,lang,public_metrics"
MEDIA_FIELDS = "duration_ms,type,preview_image_url,variants"


def build_query(settings: Campaign) -> str:
    tags = " OR ".join(f"#{tag}" for tag in settings.campaign.hashtags)
    return f"({tags}) -is:retweet"


def page_to_posts(page: dict[str, Any]) -> list[HarvestedPost]:
    """One search or lookup answer → posts (pure)."""
    includes = page.get("includes") or {}
    users = {u["id"]: u for u in includes.get("users", [])}
    media = {m["media_key"]: m for m in includes.get("media", [])}
    data = page.get("data") or []
    if isinstance(data, dict):
        data = [data]
    posts = []
    for tweet in data:
        user = users.get(tweet.get("author_id", ""), {})
        entities = tweet.get("entities") or {}
        attached = [
            media[k] for k in (tweet.get("attachments") or {}).get("media_keys", []) if k in media
        ]
        video = next((m for m in attached if m.get("type") in ("video", "animated_gif")), None)
        handle = user.get("username")
        created = tweet.get("created_at")
        posts.append(
            HarvestedPost(
                platform="x",
                native_id=str(tweet["id"]),
                url=f"https://x.com/{handle or 'i/web'}/status/{tweet['id']}",
                text=tweet.get("text", ""),
                published_at=datetime.fromisoformat(created.replace("Z", "+00:00"))
                if created
                else None,
                author_id=tweet.get("author_id"),
                author_handle=handle,
                author_name=user.get("name"),
                hashtags=[h["tag"] for h in entities.get("hashtags", [])],
                mentions=[m["username"] for m in entities.get("mentions", [])],
                links=[u.get("expanded_url") or u["url"] for u in entities.get("urls", [])],
                media_type="video" if video else ("image" if attached else None),
                media_url=(video or {}).get("preview_image_url"),
                duration_seconds=video["duration_ms"] / 1000
                if video and "duration_ms" in video
                else None,
                raw={"tweet": tweet, "user": user, "media": attached},
            )
        )
    return posts


class XCollector:
    platform = "x"

    def __init__(self, client: Any, settings: XHarvest, campaign: Campaign, clock: Clock) -> None:
        self.client, self.settings, self.clock = client, settings, clock
        self.query = build_query(campaign)

    def _search(self, since_id: str | None, until_id: str | None) -> dict[str, Any]:
        import requests
        import tweepy

        def call() -> dict[str, Any]:
            try:
                answer = self.client.search_recent_tweets(
                    self.query,
                    max_results=self.settings.max_results,
                    since_id=since_id,
                    until_id=until_id,
                    expansions="author_id,attachments.media_keys",
                    tweet_fields=TWEET_FIELDS,
                    media_fields=MEDIA_FIELDS,
                    user_fields="created_at,verified",
                    user_auth=False,
                )
            except tweepy.TooManyRequests as exc:
                reset = int(exc.response.headers.get("x-rate-limit-reset", "0") or 0)
                retry_at = datetime.fromtimestamp(reset, UTC) if reset else None
                if self.settings.wait_on_rate_limit and retry_at is not None:
                    self.clock.sleep(max((retry_at - self.clock.now()).total_seconds(), 0) + 1)
                    raise TransientError("rate limited; waited for the reset") from exc
                raise try_later("x", "rate limited (HTTP 429)", retry_at) from exc
            except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
                raise CredentialRejected(
                    f"x: the platform rejected the bearer token (HTTP {exc.response.status_code})"
                ) from exc
            except tweepy.TwitterServerError as exc:
                raise TransientError(f"HTTP {exc.response.status_code}") from exc
            except requests.exceptions.JSONDecodeError as exc:
                raise GarbledPage("the answer was not valid JSON") from exc
            except requests.exceptions.RequestException as exc:
                raise TransientError(str(exc)) from exc
            except tweepy.BadRequest as exc:
                raise WorkFailed(f"x: the search was refused: {exc}") from exc
            if not isinstance(answer, dict) or not isinstance(answer.get("meta"), dict):
                raise GarbledPage("the answer has no meta")
            return answer

        return with_retries(call, self.clock, self.settings.max_retries, "x search")

    def pages(self, position: dict[str, Any]) -> Iterator[Page]:
        since = position.get("since_id")
        until = position.get("until_id")
        run_newest = position.get("run_newest")
        while True:
            answer = self._search(since, until)
            meta = answer["meta"]
            posts = page_to_posts(answer)
            if meta.get("result_count", 0) == 0 or not posts:
                yield Page([], {"since_id": since, "run_newest": run_newest, "until_id": until})
                return
            run_newest = run_newest or meta.get("newest_id")
            until = meta.get("oldest_id")
            yield Page(posts, {"since_id": since, "run_newest": run_newest, "until_id": until})
            if not meta.get("next_token"):
                return

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        return {"since_id": position.get("run_newest") or position.get("since_id")}
