"""Bluesky (AT Protocol) through the atproto SDK: search the campaign's hashtags, repost
approved testimonies from the campaign account, look stored posts up again for compliance.

Both sides sign in with an app password (com.atproto.server.createSession against the PDS
named by base_url): searchPosts may require authentication (its lexicon says so), and
reposts are records written in the campaign account's own repository.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from config.credentials import require_env
from config.errors import CredentialRejected, Refused, StorydeskError, Transient, TryLater
from config.fields import EnvName, Harvest, Target, Url
from config.retry import retry
from db.states import SourceState
from platforms.base import Platform, reraise

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from compliance.summary import ComplianceSummary
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from harvester.common import Collector
    from publisher.common import Target as PublishTarget

ORIGIN = "https://bsky.social"
# did:plc is 24 base32 characters; did:web a host name (atproto.com/specs/did)
DID = r"did:(?:plc:[a-z2-7]{24}|web:[a-zA-Z0-9.-]{1,40})"
GET_POSTS_BATCH = 25  # app.bsky.feed.getPosts takes at most 25 uris
SIGN_IN_RETRIES = 2  # publish sections have no max_retries: a look-up's share (publisher)


class BlueskyHarvest(Harvest):
    base_url: Url = ORIGIN
    handle_env: EnvName = Field(
        "STORYDESK_BLUESKY_HANDLE", description="Variable holding the account that searches."
    )
    app_password_env: EnvName = Field(
        "STORYDESK_BLUESKY_APP_PASSWORD",
        description="Variable holding that account's app password (Settings → App passwords).",
    )
    limit: Annotated[int, Field(ge=1, le=100, description="Posts per search page (1-100).")] = 100


class BlueskyPublish(Target):
    base_url: Url = ORIGIN
    handle_env: EnvName = Field(
        "STORYDESK_BLUESKY_HANDLE", description="Variable holding the campaign account's handle."
    )
    app_password_env: EnvName = Field(
        "STORYDESK_BLUESKY_APP_PASSWORD",
        description="Variable holding the campaign account's app password.",
    )


def native_id_of(uri: str) -> str:
    """at://DID/app.bsky.feed.post/RKEY -> DID/RKEY (a record key is unique per repository)."""
    did, _, rkey = uri.removeprefix("at://").partition("/app.bsky.feed.post/")
    return f"{did}/{rkey}"


def uri_of(native_id: str) -> str:
    did, _, rkey = native_id.rpartition("/")
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def post_url(actor: str, uri: str) -> str:
    return f"https://bsky.app/profile/{actor}/post/{uri.rsplit('/', 1)[-1]}"


def client(
    settings: BlueskyHarvest | BlueskyPublish,
    field: str,
    loaded: LoadedCampaign,
    clock: Clock,
    profile: bool,
) -> Any:
    """A signed-in atproto Client (createSession), every call held to the section's HTTP
    policy (timeouts, deadline, answer size, redirects). `profile`:
    also look the account's profile up (app.bsky.actor.getProfile, one request more): the
    SDK's repost and unrepost write to the repository of `client.me`; searching and looking
    posts up need only the session."""
    from atproto import Client
    from atproto_client.request import Request

    from platforms.httpx_policy import client_options
    from platforms.transport import HttpPolicy

    handle = require_env(settings.handle_env, f"{field}.handle_env", loaded.settings)
    password = require_env(settings.app_password_env, f"{field}.app_password_env", loaded.settings)
    policy = HttpPolicy.of(settings, field)
    built = Client(settings.base_url, request=Request(**client_options(policy)))

    def sign_in() -> None:
        try:
            built.login(handle, password, fetch_bsky_profile=profile)
        except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
            reraise(classify, exc, "createSession", clock.now())

    # signing in is safe to repeat: a server error or a garbled answer is tried again
    attempts = settings.max_retries if isinstance(settings, BlueskyHarvest) else SIGN_IN_RETRIES
    retry(sign_in, clock, attempts, "bluesky createSession")
    return built


def search_client(loaded: LoadedCampaign, clock: Clock) -> Any:
    s: BlueskyHarvest = loaded.settings.platforms.bluesky
    return client(s, "platforms.bluesky", loaded, clock, profile=False)


def account_client(loaded: LoadedCampaign, clock: Clock) -> Any:
    s: BlueskyPublish = loaded.settings.publish.bluesky
    return client(s, "publish.bluesky", loaded, clock, profile=True)


def classify(exc: BaseException, what: str, now: datetime) -> StorydeskError | None:
    """atproto's exceptions -> who must act. XRPC errors are {"error", "message"}."""
    from atproto_client import exceptions as atp

    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    content = getattr(response, "content", None)
    # an XRPC error body is {"error": NAME, "message": ...}; any other body is no name
    name = getattr(content, "error", None)
    name = name if isinstance(name, str) else ""
    if isinstance(exc, atp.RateLimitExceededError):
        headers = getattr(response, "headers", None) or {}
        reset = str(headers.get("ratelimit-reset", ""))
        retry_at = datetime.fromtimestamp(int(reset), UTC) if reset.isdigit() else None
        return TryLater.until(f"bluesky {what}: rate limited (HTTP 429)", retry_at)
    if isinstance(exc, atp.UnauthorizedError | atp.LoginRequiredError) or name in (
        "AuthenticationRequired",
        "InvalidToken",
        "ExpiredToken",
        "AccountTakedown",
    ):
        return CredentialRejected(
            f"bluesky {what}: the platform rejected the handle or app password"
            + (f" ({name})" if name else "")
        )
    if isinstance(exc, atp.NetworkError):  # timeouts, 502, connection errors
        return Transient(f"bluesky {what}: {type(exc).__name__}")
    if isinstance(exc, atp.RequestErrorBase):
        if status is not None and status >= 500:
            return Transient(f"bluesky {what}: HTTP {status}")
        return Refused(f"bluesky {what}: HTTP {status} {name}".rstrip())
    if isinstance(exc, atp.ModelError):
        return Transient(f"bluesky {what}: the answer does not have the lexicon's shape")
    if isinstance(exc, ValueError):
        # the SDK parses every answer as JSON (pydantic_core.from_json) before looking at it:
        # a cut-off or garbled body surfaces as this
        return Transient(f"bluesky {what}: the answer could not be read ({exc})")
    return None


def _collectors(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> list[Collector]:
    from harvester.bluesky import BlueskyCollector

    settings: BlueskyHarvest = loaded.settings.platforms.bluesky
    signed_in = search_client(loaded, clock)
    return [
        BlueskyCollector(signed_in, settings, tag, clock)
        for tag in loaded.settings.campaign.hashtags
    ]


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.bluesky import BlueskyTarget

    return BlueskyTarget(lambda: account_client(loaded, clock), clock)


def _source_check(sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock) -> Any:
    """app.bsky.feed.getPosts leaves out posts that are deleted or hidden: those are gone."""

    def step(summary: ComplianceSummary) -> None:
        from sqlalchemy import select

        from compliance.sources import _posts, batches, live_posts, source_gone
        from config.retry import retry
        from db.models import Post
        from db.session import transaction

        settings: BlueskyHarvest = loaded.settings.platforms.bluesky
        signed_in = search_client(loaded, clock)
        with sessions() as session:
            native_ids = list(
                session.scalars(
                    select(Post.native_id)
                    .where(Post.campaign_id == loaded.id, Post.platform == "bluesky", live_posts())
                    .order_by(Post.id)
                )
            )
        for batch in batches(native_ids, GET_POSTS_BATCH):

            def call(batch: list[str] = batch) -> set[str]:
                try:
                    answer = signed_in.app.bsky.feed.get_posts(
                        params={"uris": [uri_of(n) for n in batch]}
                    )
                except Exception as exc:  # noqa: BLE001 - the platform's one mapping
                    error = classify(exc, "getPosts", clock.now())
                    if error is None:
                        raise
                    raise error from exc
                return {native_id_of(p.uri) for p in answer.posts}

            found = retry(call, clock, settings.max_retries, "bluesky getPosts")
            summary.requests["bluesky"] += 1
            now = clock.now()
            with transaction(sessions) as session:
                for post in _posts(session, loaded, "bluesky", batch):
                    summary.checked["bluesky"] += 1
                    if post.native_id in found:
                        post.source_checked_at = now
                    else:
                        source_gone(session, post, SourceState.DELETED, now, summary)

    return step


def _consent_reader(value: str | None) -> tuple[str | None, str | None]:
    """A form may name the account by DID, handle, @handle or profile link."""
    text = (value or "").strip()
    if "/profile/" in text:
        text = text.split("/profile/", 1)[1].split("/", 1)[0]
    text = text.lstrip("@").strip().lower()
    if not text:
        return None, None
    if re.fullmatch(DID, text):
        return text, None
    return None, text


PLATFORM = Platform(
    name="bluesky",
    label="Bluesky",
    capabilities={"harvest": True, "publish": True, "delete": True, "reply": True},
    harvest_settings=BlueskyHarvest,
    publish_settings=BlueskyPublish,
    collectors=_collectors,
    target=_target,
    source_check=_source_check,
    classify=classify,
    consent_field="bluesky_handle",
    consent_reader=_consent_reader,
    id_shape=re.compile(rf"^{DID}/[a-z2-7]{{13}}$"),  # DID/record key (a TID)
    author_id_shape=re.compile(rf"^{DID}$"),
    aliases=("bsky",),
    reshares_own_post=True,
)
