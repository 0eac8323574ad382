"""Instagram (the opt-in instaloader collector): is each stored post still there?

Each stored post is looked up by its shortcode (instaloader's Post.from_shortcode: one query
a post, paced by instaloader's own rate controller), never by walking a whole hashtag: a
hashtag's listing costs a query per 12 posts of everyone's, and a short listing cannot tell
a deleted post from one Instagram stopped showing. A post Instagram answers with no item for
is gone; any other failure leaves the post as it was (the next sweep asks again).

The Graph collector has no such look-up: Meta lets an app read other people's media only
through a hashtag's last 24 hours, so only data minimisation applies there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from compliance.sources import live_posts, source_gone
from compliance.summary import ComplianceSummary
from config.clock import Clock
from config.errors import CredentialRejected, Transient, WorkFailed
from config.retry import retry
from config.schema import LoadedCampaign
from db.models import Post
from db.session import transaction
from db.states import SourceState

# shortcode -> available | deleted
Lookup = Callable[[str], SourceState]
# stored posts looked at per sweep, oldest check first: the rest wait for the next sweep
PER_SWEEP = 500


def instaloader_lookup(loaded: LoadedCampaign, clock: Clock) -> Lookup:
    from platforms.instagram import instaloader_client

    loader = instaloader_client(loaded, clock)
    attempts = loaded.settings.platforms.instagram.max_retries

    def lookup(code: str) -> SourceState:
        import instaloader
        from instaloader.exceptions import (
            BadResponseException,
            ConnectionException,
            LoginRequiredException,
            QueryReturnedNotFoundException,
        )

        def once() -> SourceState:
            try:
                instaloader.Post.from_shortcode(loader.context, code)
            except QueryReturnedNotFoundException:
                return SourceState.DELETED
            except BadResponseException as exc:
                if "Fetching Post metadata failed" in str(exc):  # no item: the post is gone
                    return SourceState.DELETED
                raise WorkFailed(f"instagram: unexpected answer about {code}: {exc}") from exc
            except LoginRequiredException as exc:
                raise CredentialRejected("instagram: the session is not logged in") from exc
            except ConnectionException as exc:
                if "login_required" in str(exc):
                    raise CredentialRejected(
                        "instagram: Instagram answered login_required"
                    ) from exc
                raise Transient(f"instagram: looking up {code}: {exc}") from exc
            return SourceState.AVAILABLE

        return retry(once, clock, attempts, f"instagram look-up of {code}")

    return lookup


def shortcode_of(post: Post) -> str:
    """The post's shortcode: from its media id, as Instagram derives it (base 64)."""
    import instaloader

    return str(instaloader.Post.mediaid_to_shortcode(int(post.native_id.split("_")[0])))


def sweep_instagram(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    summary: ComplianceSummary,
    lookup: Lookup,
) -> None:
    with sessions() as session:
        stored: list[tuple[int, str]] = [
            (row.id, shortcode_of(row))
            for row in session.scalars(
                select(Post)
                .where(Post.campaign_id == loaded.id, Post.platform == "instagram", live_posts())
                .order_by(Post.source_checked_at.asc().nulls_first(), Post.id)
                .limit(PER_SWEEP)
            )
        ]
    for post_id, code in stored:
        state = lookup(code)  # outside a transaction: a stopped sweep keeps what it did
        summary.requests["instagram"] += 1
        summary.checked["instagram"] += 1
        now = clock.now()
        with transaction(sessions) as session:
            post: Any = session.get(Post, post_id)
            if post is None or post.purged_at is not None:
                continue
            if state == SourceState.AVAILABLE:
                post.source_checked_at = now
            else:
                source_gone(session, post, state, now, summary)
