"""Asking the platforms whether what we stored is still there.

X: tweet lookup (GET /2/tweets?ids=) in batches of up to 100; a tweet deleted, protected,
suspended or withheld has its stored copy purged and its testimony's reshares taken down.
YouTube: data older than `youtube_refresh_days` is refreshed with videos.list (and the
channel with channels.list) or, when the video is gone or private, purged.
Instagram/Facebook: see compliance.listings.
Each batch is looked up outside a transaction and applied inside one, so a sweep stopped
half-way keeps what it did and the next sweep goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from compliance.purge import purge_post
from compliance.summary import ComplianceSummary
from config.clock import Clock
from config.errors import TryLater, WorkFailed
from config.fields import parse_duration as interval
from config.retry import retry
from config.schema import LoadedCampaign
from db import audit, quota
from db.models import Post
from db.outbox import request_takedown
from db.session import transaction
from db.states import LIVE_PUBLICATION, ReviewState, SourceState
from harvester.x import posts_returned
from harvester.youtube import parse_duration
from platforms.base import reraise

ACTOR = "compliance"
# the review state of a testimony whose every copy is gone at its source
SOURCE_GONE = ReviewState.SOURCE_GONE


def source_gone(
    session: Session, post: Post, state: SourceState, now: datetime, summary: ComplianceSummary
) -> None:
    """The source is no longer public: purge our copy, take its reshares down, audit both."""
    purge_post(post, now, state)
    audit.record(
        session,
        at=now,
        actor=ACTOR,
        action="compliance.source-gone",
        subject_type="post",
        subject_id=post.id,
        detail={"platform": post.platform, "native_id": post.native_id, "state": state},
    )
    if post.testimony_id is not None:
        reason = f"source {state} on {post.platform}"
        summary.takedowns_requested += len(
            request_takedown(session, [post.testimony_id], reason, now, ACTOR)
        )
        leave_queue_if_all_gone(session, post.testimony_id, now)
    summary.gone[post.platform][state] += 1


def leave_queue_if_all_gone(session: Session, testimony_id: int, now: datetime) -> None:
    """A testimony waiting for review whose every copy is gone at its source leaves the
    queue: there is nothing left to review or reshare (its copies keep only ids, URL and
    rule results). It stays listed under `queue --status source-gone` (or `all`)."""
    from db.models import Testimony

    testimony = session.get(Testimony, testimony_id)
    if testimony is None or testimony.review_state not in (ReviewState.PENDING, ReviewState.HELD):
        return  # a decision already made stands; its reshares come down by takedown
    session.flush()
    still_there = session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.testimony_id == testimony_id, Post.source_state == SourceState.AVAILABLE)
    )
    if still_there:
        return
    before = testimony.review_state
    testimony.review_state, testimony.updated_at = SOURCE_GONE, now
    audit.record(
        session,
        at=now,
        actor=ACTOR,
        action="testimony.source-gone",
        subject_type="testimony",
        subject_id=testimony_id,
        detail={"was": before},
    )


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def classify_x(answer: dict[str, Any]) -> dict[str, SourceState]:
    """A tweet lookup answer → {tweet id: available | withheld | deleted | protected |
    suspended} (pure). Ids the answer does not account for are left out: unknown."""
    states: dict[str, SourceState] = {}
    data = answer.get("data") or []
    for tweet in [data] if isinstance(data, dict) else data:
        states[str(tweet["id"])] = (
            SourceState.WITHHELD if tweet.get("withheld") else SourceState.AVAILABLE
        )
    for error in answer.get("errors") or []:
        tweet_id = str(error.get("resource_id") or error.get("value") or "")
        if not tweet_id or error.get("resource_type", "tweet") != "tweet":
            continue
        kind = str(error.get("type", ""))
        if "suspend" in str(error.get("detail", "")).lower():
            states[tweet_id] = SourceState.SUSPENDED
        elif kind.endswith("not-authorized-for-resource"):
            states[tweet_id] = SourceState.PROTECTED
        elif kind.endswith("resource-not-found"):
            states[tweet_id] = SourceState.DELETED
    return states


def x_lookup(client: Any, clock: Clock, attempts: int = 3) -> Callable[[list[str]], dict[str, Any]]:
    from platforms.x import classify

    def lookup(ids: list[str]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            try:
                answer = client.get_tweets(ids=ids, tweet_fields=["withheld"], user_auth=False)
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                reraise(classify, exc, "tweet lookup", clock.now())
            if not isinstance(answer, dict):
                raise WorkFailed("x: tweet lookup answered something that is not a JSON object")
            return answer

        return retry(call, clock, attempts, "x tweet lookup")

    return lookup


def x_due(loaded: LoadedCampaign, now: datetime) -> Any:
    """The X posts worth a paid read now: a reshare of theirs is out, or they await review;
    and not checked within `compliance.x_recheck_after` (a day by default). X charges each
    post read (docs.x.com/x-api/getting-started/pricing): a post nobody will reshare is not
    looked up; the harvest's own search sees the live ones anyway."""
    from db.models import Publication, Testimony

    after = now - interval(loaded.settings.compliance.x_recheck_after)
    reshared = (
        select(Publication.id)
        .where(
            Publication.testimony_id == Post.testimony_id,
            # out, or on its way out (db/outbox.py takes the same states down)
            Publication.state.in_(LIVE_PUBLICATION),
            Publication.taken_down_at.is_(None),
        )
        .exists()
    )
    waiting = (
        select(Testimony.id)
        .where(
            Testimony.id == Post.testimony_id,
            Testimony.review_state.in_((ReviewState.PENDING, ReviewState.HELD)),
        )
        .exists()
    )
    return (
        (Post.campaign_id == loaded.id)
        & (Post.platform == "x")
        & live_posts()
        # never checked: a look-up the day it was harvested is free (X charges a post
        # returned twice in one UTC day once)
        & (Post.source_checked_at.is_(None) | (Post.source_checked_at <= after))
        & (reshared | waiting)
    )


def sweep_x(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    summary: ComplianceSummary,
    lookup: Callable[[list[str]], dict[str, Any]],
) -> None:
    with sessions() as session:
        native_ids = list(
            session.scalars(
                select(Post.native_id).where(x_due(loaded, clock.now())).order_by(Post.id)
            )
        )
    # the look-ups are read with the app's bearer token (platforms.x.search_client)
    credential = loaded.settings.quota_credential("x")
    for batch in batches(native_ids, loaded.settings.compliance.x_lookup_batch):
        answer = lookup(batch)
        summary.requests["x"] += 1
        states = classify_x(answer)
        now = clock.now()
        with transaction(sessions) as session:
            if read := posts_returned(answer):
                quota.spend(session, quota.X_READS, credential, read, now)
            for post in _posts(session, loaded, "x", batch):
                state = states.get(post.native_id)
                if state is None:
                    continue
                summary.checked["x"] += 1
                if state == SourceState.AVAILABLE:
                    post.source_checked_at = now
                else:
                    source_gone(session, post, state, now, summary)


def live_posts() -> Any:
    return Post.purged_at.is_(None) & (Post.source_state == SourceState.AVAILABLE)


def _posts(session: Session, loaded: LoadedCampaign, platform: str, ids: list[str]) -> list[Post]:
    return list(
        session.scalars(
            select(Post).where(
                Post.campaign_id == loaded.id, Post.platform == platform, Post.native_id.in_(ids)
            )
        )
    )


def refresh_youtube(
    post: Post, video: dict[str, Any], channel: dict[str, Any] | None, now: datetime
) -> None:
    """Replace what we hold about a video with what the API says today."""
    snippet = video.get("snippet") or {}
    text = f"{snippet.get('title', '')}\n{snippet.get('description', '')}".strip()
    if text != post.text:
        post.edit_history = [*post.edit_history, {"text": post.text, "until": now.isoformat()}]
        post.text = text
    post.author_name = snippet.get("channelTitle", post.author_name)
    if channel is not None:
        post.author_handle = (channel.get("snippet") or {}).get("customUrl", post.author_handle)
    duration = parse_duration((video.get("contentDetails") or {}).get("duration"))
    post.duration_seconds = duration if duration is not None else post.duration_seconds
    post.raw = {"video": video, "channel": channel or {}}


def youtube_call(request: Any, what: str, clock: Clock, attempts: int = 3) -> dict[str, Any]:
    from platforms.youtube import classify

    request._sleep = clock.sleep

    def call() -> dict[str, Any]:
        try:
            answer = request.execute()
        except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
            reraise(classify, exc, what, clock.now())
        if not isinstance(answer, dict):
            raise WorkFailed(f"youtube: {what} answered something that is not a JSON object")
        return answer

    return retry(call, clock, attempts, f"youtube {what}")


def sweep_youtube(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    summary: ComplianceSummary,
    client: Any,
) -> None:
    settings = loaded.settings
    youtube = settings.platforms.youtube
    assert youtube is not None
    cost = youtube.costs.get("videos.list", 1) + youtube.costs.get("channels.list", 1)
    cutoff = clock.now() - timedelta(days=settings.compliance.youtube_refresh_days)
    seen = func.coalesce(Post.source_checked_at, Post.harvested_at)
    with sessions() as session:
        native_ids = list(
            session.scalars(
                select(Post.native_id)
                .where(
                    Post.campaign_id == loaded.id,
                    Post.platform == "youtube",
                    live_posts(),
                    seen <= cutoff,
                )
                .order_by(seen)
            )
        )
    credential = settings.quota_credential("youtube")  # the API key the client is built with
    for batch in batches(native_ids, 50):
        with sessions() as session:
            left = youtube.daily_quota - quota.used(session, "youtube", credential, clock.now())
        if left < cost:
            raise TryLater(
                f"youtube: {len(native_ids)} videos due for refresh but not enough quota "
                "left today",
                quota.day_end(clock.now()),
            )
        answer = youtube_call(
            client.videos().list(part="snippet,contentDetails,status", id=",".join(batch)),
            "videos.list",
            clock,
            youtube.max_retries,
        )
        videos = {item["id"]: item for item in answer.get("items", [])}
        channel_ids = sorted({v["snippet"]["channelId"] for v in videos.values() if "snippet" in v})
        channels: dict[str, dict[str, Any]] = {}
        if channel_ids:
            found = youtube_call(
                client.channels().list(part="snippet", id=",".join(channel_ids)),
                "channels.list",
                clock,
                youtube.max_retries,
            )
            channels = {c["id"]: c for c in found.get("items", [])}
        summary.requests["youtube"] += 2 if channel_ids else 1
        now = clock.now()
        with transaction(sessions) as session:
            quota.spend(session, "youtube", credential, cost if channel_ids else cost - 1, now)
            refreshed: list[int] = []
            for post in _posts(session, loaded, "youtube", batch):
                summary.checked["youtube"] += 1
                video = videos.get(post.native_id)
                privacy = ((video or {}).get("status") or {}).get("privacyStatus")
                if video is None or privacy == "private":
                    source_gone(
                        session,
                        post,
                        SourceState.DELETED if video is None else SourceState.PRIVATE,
                        now,
                        summary,
                    )
                    continue
                channel_id = (video.get("snippet") or {}).get("channelId", "")
                refresh_youtube(post, video, channels.get(channel_id), now)
                post.source_checked_at = post.updated_at = now
                refreshed.append(post.id)
            if refreshed:
                summary.refreshed["youtube"] += len(refreshed)
                audit.record(
                    session,
                    at=now,
                    actor=ACTOR,
                    action="compliance.refreshed",
                    subject_type="platform",
                    subject_id="youtube",
                    detail={
                        "posts": refreshed,
                        "older_than_days": settings.compliance.youtube_refresh_days,
                    },
                )
