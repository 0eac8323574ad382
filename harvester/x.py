"""X: recent search for the campaign's hashtags with tweepy, newest first.

A run pages down with until_id from the newest tweet; each stored page records how far it
got, so a killed run resumes where it stopped, and the next run asks only since the newest.

X as it is (docs/platform-notes.md): the whole of a long post is in `note_tweet`; `text`
carries &amp; &lt; &gt;; an edit is a new id whose `edit_history_tweet_ids` starts with the
original, which is the post's key here; recent search refuses a `since_id` older than 7 days;
a 402 means the pay-per-use credits are spent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from config.clock import Clock
from config.errors import Transient, TryLater
from config.retry import retry
from config.schema import Campaign
from harvester.common import GarbledPage, HarvestedPost, Page, tolerant
from platforms.x import XHarvest, classify

# note_tweet: the full text of a long post; withheld: where X withholds it
# (docs.x.com/x-api/fundamentals/data-dictionary)
TWEET_FIELDS = (
    "created_at,author_id,entities,attachments,lang,public_metrics,note_tweet,withheld,"
    "edit_history_tweet_ids"
)
MEDIA_FIELDS = "duration_ms,type,preview_image_url,variants"
# Recent search covers 7 days; a since_id older than that is refused. The cursor is dropped a
# little before it ages out, so a run never starts with a refusal it could foresee.
# posts read, kept by the quota ledger as "x:reads" (db/quota.py X_READS): pay-per-use
# charges each; `status` shows this month's
READS = "reads"
SEARCH_DAYS = timedelta(days=7)
CURSOR_MARGIN = timedelta(hours=1)


def unescape(text: str) -> str:
    """X sends &, < and > as &amp; &lt; &gt; in `text`: back to what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _is_stale_since_id(exc: Exception) -> bool:
    return "since_id" in str(exc) and "created after" in str(exc)


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
        note = tweet.get("note_tweet") or {}
        # a long post: the whole text and its entities (a tag at the end is only there)
        entities = (
            (note.get("entities") if note.get("text") else None) or tweet.get("entities") or {}
        )
        attached = [
            media[k] for k in (tweet.get("attachments") or {}).get("media_keys", []) if k in media
        ]
        # an animated GIF loops a few seconds of picture: not a video testimony
        video = next((m for m in attached if m.get("type") == "video"), None)
        gif = next((m for m in attached if m.get("type") == "animated_gif"), None)
        handle = user.get("username")
        created = tweet.get("created_at")
        # an edit has a new id; the post is known by the first id of its history
        first_id = str((tweet.get("edit_history_tweet_ids") or [tweet["id"]])[0])
        withheld = (tweet.get("withheld") or {}).get("country_codes") or []
        posts.append(
            HarvestedPost(
                platform="x",
                native_id=first_id,
                url=f"https://x.com/{handle or 'i/web'}/status/{first_id}",
                text=unescape(note.get("text") or tweet.get("text", "")),
                published_at=datetime.fromisoformat(created.replace("Z", "+00:00"))
                if created
                else None,
                author_id=tweet.get("author_id"),
                author_handle=handle,
                author_name=user.get("name"),
                hashtags=[h["tag"] for h in entities.get("hashtags", [])],
                mentions=[m["username"] for m in entities.get("mentions", [])],
                links=[u.get("expanded_url") or u["url"] for u in entities.get("urls", [])],
                media_type="video"
                if video
                else ("animated_gif" if gif else ("image" if attached else None)),
                media_url=(video or {}).get("preview_image_url"),
                duration_seconds=video["duration_ms"] / 1000
                if video and "duration_ms" in video
                else None,
                raw={"tweet": tweet, "user": user, "media": attached},
                withheld=[str(c) for c in withheld],
            )
        )
    return posts


class _StaleCursor(Exception):
    """Recent search refused the since_id: it is older than the 7 days search covers."""


class XCollector:
    platform = "x"
    # its pages read nothing stored: the next is fetched while one is stored (pipeline.py)
    fetch_ahead = True

    def __init__(self, client: Any, settings: XHarvest, campaign: Campaign, clock: Clock) -> None:
        self.client, self.settings, self.clock = client, settings, clock
        self.query = build_query(campaign)

    def _search(self, since_id: str | None, until_id: str | None) -> dict[str, Any]:
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
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                if isinstance(exc, tweepy.BadRequest) and since_id and _is_stale_since_id(exc):
                    raise _StaleCursor(str(exc)) from exc
                error = classify(exc, "search", self.clock.now())
                if error is None:
                    raise
                if type(error) is TryLater and error.retry_at and self.settings.wait_on_rate_limit:
                    wait = (error.retry_at - self.clock.now()).total_seconds()
                    self.clock.sleep(max(wait, 0) + 1)
                    raise Transient("rate limited; waited for the reset") from exc
                raise error from exc
            if not isinstance(answer, dict) or not isinstance(answer.get("meta"), dict):
                raise GarbledPage("the answer has no meta")
            return answer

        return retry(call, self.clock, self.settings.max_retries, "x search")

    def _fresh_since(self, position: dict[str, Any]) -> str | None:
        """The since_id to send, or None once it is about to leave the 7 days search covers:
        then the search starts again from 7 days ago (stored posts are skipped, not doubled)."""
        since = position.get("since_id")
        at = position.get("since_at")
        if since and at:
            when = datetime.fromisoformat(at)
            if self.clock.now() - when > SEARCH_DAYS - CURSOR_MARGIN:
                return None
        return str(since) if since else None

    def pages(self, position: dict[str, Any]) -> Iterator[Page]:
        since = self._fresh_since(position)
        until = position.get("until_id")
        run_newest = position.get("run_newest")
        run_at = position.get("run_at")
        while True:
            try:
                answer = self._search(since, until)
            except _StaleCursor:
                # X refused the cursor as too old: restart from 7 days ago, not a failure
                since, until, run_newest, run_at = None, None, None, None
                answer = self._search(None, None)
            meta = answer["meta"]
            posts, unreadable = tolerant(page_to_posts, answer, "data", "x")
            here = {"since_id": since, "since_at": position.get("since_at") if since else None}
            reads = {READS: posts_returned(answer)} if posts_returned(answer) else {}
            if meta.get("result_count", 0) == 0 or not posts:
                yield Page(
                    [],
                    {**here, "run_newest": run_newest, "run_at": run_at, "until_id": until},
                    unreadable=unreadable,
                    quota_buckets=reads,
                )
                return
            if not run_newest:
                run_newest = meta.get("newest_id")
                run_at = _newest_time(posts)
            until = meta.get("oldest_id")
            yield Page(
                posts,
                {**here, "run_newest": run_newest, "run_at": run_at, "until_id": until},
                unreadable=unreadable,
                quota_buckets=reads,
            )
            if not meta.get("next_token"):
                return

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        if position.get("run_newest"):
            return {"since_id": position["run_newest"], "since_at": position.get("run_at")}
        return {"since_id": position.get("since_id"), "since_at": position.get("since_at")}


def posts_returned(answer: dict[str, Any]) -> int:
    """Posts an answer returned: what pay-per-use charges a read for
    (docs.x.com/x-api/getting-started/pricing, "Post read", per post returned)."""
    data = answer.get("data")
    if isinstance(data, dict):
        return 1
    return len(data) if isinstance(data, list) else 0


def _newest_time(posts: list[HarvestedPost]) -> str | None:
    times = [p.published_at for p in posts if p.published_at is not None]
    return max(times).isoformat() if times else None
