"""YouTube Data API v3 with google-api-python-client: search for the campaign's hashtags,
add approved videos to the campaign playlist, refresh data older than 30 days."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from config.credentials import require_env
from config.errors import CredentialRejected, Refused, StorydeskError, Transient, TryLater
from config.fields import EnvName, Harvest, PathSegment, Target, Url
from consent import normalise
from platforms.base import Platform

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from compliance.summary import ComplianceSummary
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from harvester.common import Collector
    from publisher.common import Target as PublishTarget

ORIGIN = "https://youtube.googleapis.com"


class YouTubeHarvest(Harvest):
    base_url: Url = ORIGIN
    api_key_env: EnvName = Field(
        "STORYDESK_YOUTUBE_API_KEY", description="Variable holding the YouTube Data API key."
    )
    daily_quota: Annotated[
        int, Field(gt=0, description="Quota units the project may spend a day (Pacific time).")
    ] = 10000
    costs: dict[str, int] = Field(
        {
            "search.list": 1,  # in its own bucket since 2026 (see buckets)
            "videos.list": 1,
            "channels.list": 1,
            "playlistItems.list": 1,
            "playlistItems.insert": 50,
            "playlistItems.delete": 50,
        },
        description="Quota units per API method, as Google prices them.",
    )
    # developers.google.com/youtube/v3/determine_quota_cost (2026): "The search.list and
    # videos.insert methods have their own quota buckets ... default daily limit of 100".
    buckets: dict[str, int] = Field(
        {"search.list": 100},
        description="Methods with a daily quota bucket of their own, and its size in units; "
        "every other method shares `daily_quota`.",
    )


class YouTubePublish(Target):
    base_url: Url = ORIGIN
    playlist_id: PathSegment = Field(
        description="The campaign playlist approved videos are added to."
    )
    # Playlist writes need the owner's OAuth consent. An access token dies within the hour, so
    # the refresh token is kept with the OAuth client's id and secret, and google-auth gets a
    # fresh access token from oauth_base_url + /token whenever it needs one.
    refresh_token_env: EnvName = Field(
        "STORYDESK_YOUTUBE_REFRESH_TOKEN",
        description="Variable holding the playlist owner's OAuth refresh "
        "token (`youtube.force-ssl` scope); access tokens are fetched with it as they expire.",
    )
    client_id_env: EnvName = Field(
        "STORYDESK_YOUTUBE_CLIENT_ID", description="Variable holding the OAuth client's id."
    )
    client_secret_env: EnvName = Field(
        "STORYDESK_YOUTUBE_CLIENT_SECRET", description="Variable holding the OAuth client's secret."
    )
    oauth_base_url: Url = Field(
        "https://oauth2.googleapis.com",
        description="Google's OAuth server (the token endpoint is `/token`).",
    )


def _build(base_url: str, settings: Any, section: str, **auth: Any) -> Any:
    from googleapiclient.discovery import build

    from platforms.transport import HttpPolicy, PolicyHttp

    # httplib2's interface over a requests session: the same HTTP policy as every platform
    http: Any = PolicyHttp(HttpPolicy.of(settings, section))
    if "credentials" in auth:
        from google_auth_httplib2 import AuthorizedHttp

        http = AuthorizedHttp(auth.pop("credentials"), http=http)
    return build(
        "youtube",
        "v3",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": base_url},
        **auth,
    )


def api_key_client(loaded: LoadedCampaign) -> Any:
    """Search, videos.list and channels.list with the project's API key."""
    settings: YouTubeHarvest = loaded.settings.platforms.youtube
    key = require_env(settings.api_key_env, "platforms.youtube.api_key_env", loaded.settings)
    return _build(settings.base_url, settings, "platforms.youtube", developerKey=key)


def owner_client(loaded: LoadedCampaign) -> Any:
    """The playlist owner's OAuth client: playlistItems insert/delete need it. google-auth
    refreshes the access token from the refresh token before it expires and on a 401."""
    from google.oauth2.credentials import Credentials

    yt: YouTubePublish = loaded.settings.publish.youtube
    s = loaded.settings
    credentials = Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=require_env(yt.refresh_token_env, "publish.youtube.refresh_token_env", s),
        client_id=require_env(yt.client_id_env, "publish.youtube.client_id_env", s),
        client_secret=require_env(yt.client_secret_env, "publish.youtube.client_secret_env", s),
        token_uri=f"{yt.oauth_base_url}/token",
        # youtube.force-ssl covers playlist writes and commentThreads.insert, which accepts no
        # other scope (developers.google.com/youtube/v3/docs/commentThreads/insert)
        scopes=["https://www.googleapis.com/auth/youtube.force-ssl"],
    )
    return _build(yt.base_url, yt, "publish.youtube", credentials=credentials)


def classify(exc: BaseException, what: str, now: datetime) -> StorydeskError | None:
    """googleapiclient's and httplib2's exceptions -> who must act."""
    import httplib2
    from google.auth.exceptions import RefreshError, TransportError
    from googleapiclient.errors import HttpError

    from db.quota import day_end

    if isinstance(exc, RefreshError):
        # Google refused the refresh token: revoked, or unused for 6 months, or the OAuth
        # client is still in "testing" (refresh tokens then last 7 days)
        return CredentialRejected(
            f"youtube {what}: Google refused the refresh token "
            f"({exc.args[0] if exc.args else exc}); the playlist owner must authorise "
            "storydesk again"
        )
    if isinstance(exc, TransportError):
        return Transient(f"youtube {what}: token refresh: {type(exc).__name__}")
    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        details = exc.error_details if isinstance(exc.error_details, list) else []
        reason = details[0].get("reason", "") if details else ""
        if reason in ("quotaExceeded", "dailyLimitExceeded"):
            return TryLater.until(f"youtube {what}: daily quota spent", day_end(now))
        if status in (401, 403):
            return CredentialRejected(
                f"youtube {what}: the platform rejected the credentials (HTTP {status} {reason})"
            )
        from platforms.http import retry_after

        if status == 429:
            # as on every other platform (platforms/http.py): "try later", not a run that
            # sleeps out the Retry-After try after try and then calls itself failed
            return TryLater.until(
                f"youtube {what}: rate limited (HTTP 429)", retry_after(exc.resp, now, 60)
            )
        if status >= 500:
            return Transient(f"youtube {what}: HTTP {status}", retry_after(exc.resp, now, None))
        return Refused(f"youtube {what}: HTTP {status} {reason}".rstrip())
    if isinstance(exc, ValueError | httplib2.HttpLib2Error | OSError):
        return Transient(f"youtube {what}: {type(exc).__name__}: {exc}")
    return None


def _collectors(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> list[Collector]:
    from db import quota
    from harvester.pipeline import known_authors
    from harvester.youtube import YouTubeCollector

    settings = loaded.settings
    yt: YouTubeHarvest = settings.platforms.youtube
    credential = settings.quota_credential("youtube")

    def quota_left(bucket: str) -> int:
        """Units left today in a bucket: "" the shared one, else a method's own."""
        limit = yt.buckets[bucket] if bucket else yt.daily_quota
        key = quota.ledger_key("youtube", bucket)
        with sessions() as session:
            return limit - quota.used(session, key, credential, clock.now())

    def known_channels(channel_ids: list[str]) -> set[str]:
        with sessions() as session:
            return known_authors(session, loaded.id, "youtube", channel_ids)

    client = api_key_client(loaded)
    return [YouTubeCollector(client, yt, settings, clock, quota_left, known_channels)]


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.youtube import YouTubeTarget

    return YouTubeTarget(owner_client(loaded), loaded.settings.publish.youtube, clock)


def _source_check(sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock) -> Any:
    from compliance import sources

    def step(summary: ComplianceSummary) -> None:
        sources.sweep_youtube(sessions, loaded, clock, summary, api_key_client(loaded))

    return step


def _consent_reader(value: str | None) -> tuple[str | None, str | None]:
    return normalise.youtube_channel(value)


PLATFORM = Platform(
    name="youtube",
    label="YouTube",
    capabilities={"harvest": True, "publish": True, "delete": True, "reply": True},
    harvest_settings=YouTubeHarvest,
    publish_settings=YouTubePublish,
    collectors=_collectors,
    target=_target,
    source_check=_source_check,
    classify=classify,
    consent_field="youtube_channel",
    id_shape=re.compile(r"^[A-Za-z0-9_-]{11}$"),  # 11 URL-safe base64 characters
    # the watch, Shorts and embed pages of a video and its youtu.be share link (the embed URL
    # as developers.google.com/youtube/iframe_api_reference writes it), the id as id_shape
    video_link=re.compile(r"(?:youtube\.com/(?:watch\?v=|shorts/|embed/)|youtu\.be/)([\w-]{11})"),
    consent_reader=_consent_reader,
    reshares_own_post=True,
    quota_credential="api_key_env",
)
