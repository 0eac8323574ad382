"""X (API v2): recent search with tweepy, retweet or quote from the campaign account, tweet
lookup for compliance. tweepy has no base-URL option: a rewrite adapter on the client's own
session sends it wherever the campaign file says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from config.credentials import require_env
from config.errors import CredentialRejected, Gone, Refused, StorydeskError, Transient, TryLater
from config.fields import EnvName, Harvest, Target, Template, Url
from platforms.base import Platform

if TYPE_CHECKING:
    import tweepy
    from sqlalchemy.orm import Session, sessionmaker

    from compliance.summary import ComplianceSummary
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from harvester.common import Collector
    from publisher.common import Target as PublishTarget

ORIGIN = "https://api.twitter.com"


class XHarvest(Harvest):
    base_url: Url = ORIGIN
    bearer_token_env: EnvName = Field(
        "STORYDESK_X_BEARER_TOKEN",
        description="Variable holding the X app's bearer token (search).",
    )
    max_results: Annotated[
        int, Field(ge=10, le=100, description="Posts per search page (10-100).")
    ] = 100
    # Under cron a 429 ends the run (exit 75); the daemon may wait for the reset instead.
    wait_on_rate_limit: bool = Field(
        False, description="Wait for the rate-limit reset instead of exiting 75."
    )


class XPublish(Target):
    base_url: Url = ORIGIN
    mode: Literal["retweet", "quote"] = Field(
        "retweet", description="`retweet` the original, or `quote` it with `template`."
    )
    # Quote posts were removed from X's self-serve (pay-per-use) tiers on 2026-04-20 (X API
    # changelog, 2026-04-16): quote mode only for an account that says it has that access.
    quote_access: bool = Field(
        False,
        description="Set only if the X account has Enterprise access: quote posts "
        'left the self-serve tiers on 2026-04-20, so `mode = "quote"` needs this.',
    )
    template: Template = Field(
        "{first_name} from {city}, {country}: \u201c{excerpt}\u201d {hashtags}",
        description="Quote text: {first_name} {city} {country} {excerpt} {hashtags}.",
    )
    consumer_key_env: EnvName = Field(
        "STORYDESK_X_CONSUMER_KEY", description="Variable holding the X app's API key (OAuth 1.0a)."
    )
    consumer_secret_env: EnvName = Field(
        "STORYDESK_X_CONSUMER_SECRET", description="Variable holding the X app's API key secret."
    )
    access_token_env: EnvName = Field(
        "STORYDESK_X_ACCESS_TOKEN",
        description="Variable holding the campaign account's access token.",
    )
    access_token_secret_env: EnvName = Field(
        "STORYDESK_X_ACCESS_TOKEN_SECRET",
        description="Variable holding that access token's secret.",
    )

    @model_validator(mode="after")
    def _quote_needs_access(self) -> XPublish:
        if self.mode == "quote" and not self.quote_access:
            raise ValueError(
                'mode = "quote" needs quote access, which X removed from its self-serve '
                'tiers on 2026-04-20: use mode = "retweet", or set quote_access = true if '
                "the account has Enterprise access"
            )
        return self


def _bounded(client: tweepy.Client, settings: Any, section: str) -> None:
    # tweepy passes no timeout to requests: its session's adapters hold every call to the
    # campaign's HTTP policy (timeouts, deadline, size cap)
    from platforms.transport import HttpPolicy, apply_policy

    apply_policy(client.session, HttpPolicy.of(settings, section))


def search_client(loaded: LoadedCampaign) -> tweepy.Client:
    """The app's bearer token: search and tweet lookup."""
    import tweepy

    settings: XHarvest = loaded.settings.platforms.x
    from platforms.transport import mount_rewrite

    token = require_env(settings.bearer_token_env, "platforms.x.bearer_token_env", loaded.settings)
    client = tweepy.Client(bearer_token=token, return_type=dict, wait_on_rate_limit=False)
    mount_rewrite(client.session, ORIGIN, settings.base_url)
    _bounded(client, settings, "platforms.x")
    return client


def user_client(loaded: LoadedCampaign) -> tweepy.Client:
    """The campaign account (OAuth 1.0a user context): retweets, quotes, deletes."""
    import tweepy

    from platforms.transport import mount_rewrite

    x: XPublish = loaded.settings.publish.x
    s = loaded.settings
    client = tweepy.Client(
        consumer_key=require_env(x.consumer_key_env, "publish.x.consumer_key_env", s),
        consumer_secret=require_env(x.consumer_secret_env, "publish.x.consumer_secret_env", s),
        access_token=require_env(x.access_token_env, "publish.x.access_token_env", s),
        access_token_secret=require_env(
            x.access_token_secret_env, "publish.x.access_token_secret_env", s
        ),
        return_type=dict,
        wait_on_rate_limit=False,
    )
    mount_rewrite(client.session, ORIGIN, x.base_url)
    _bounded(client, x, "publish.x")
    return client


def reset_of(exc: Any) -> datetime | None:
    value = str(exc.response.headers.get("x-rate-limit-reset", "") or "")
    return datetime.fromtimestamp(int(value), UTC) if value.isdigit() and int(value) else None


def classify(exc: BaseException, what: str, now: datetime) -> StorydeskError | None:
    """tweepy's and requests' exceptions -> who must act (harvest, publish and compliance)."""
    import requests
    import tweepy

    if isinstance(exc, tweepy.TooManyRequests):
        return TryLater.until(f"x {what}: rate limited (HTTP 429)", reset_of(exc))
    if isinstance(exc, tweepy.Unauthorized | tweepy.Forbidden):
        status = exc.response.status_code
        if status == 403 and "duplicate" in str(exc).lower():
            return Refused(f"x {what}: X refused duplicate text")
        if status == 403 and "quote" in str(exc).lower():
            return Refused(
                f"x {what}: X refused the quote post: quote posts are not on self-serve "
                'tiers since 2026-04-20; use publish.x.mode = "retweet"'
            )
        return CredentialRejected(
            f"x {what}: the platform rejected the credentials (HTTP {status})"
        )
    if isinstance(exc, tweepy.TwitterServerError):
        return Transient(f"x {what}: HTTP {exc.response.status_code}")
    if isinstance(exc, tweepy.HTTPException) and exc.response.status_code == 402:
        # pay-per-use credits spent: nothing is wrong with the keys, a person must top up
        return TryLater(
            f"x {what}: the pay-per-use credits are spent (HTTP 402 CreditsDepleted); "
            "a person must top up at console.x.com, then the next run goes on"
        )
    if isinstance(exc, tweepy.NotFound) and what in ("unretweet", "delete tweet"):
        return Gone(f"x {what}: already gone (HTTP 404)")
    if isinstance(exc, tweepy.HTTPException):
        return Refused(f"x {what}: HTTP {exc.response.status_code}: {_words(exc)}")
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return Transient(f"x {what}: the answer was not valid JSON")
    if isinstance(exc, requests.RequestException):
        return Transient(f"x {what}: {type(exc).__name__}: {exc}")
    return None


def _words(exc: Any) -> str:
    """tweepy's message without the raw JSON: the API's own sentences, once each."""
    said = [str(m) for m in (getattr(exc, "api_messages", None) or []) if m]
    return "; ".join(dict.fromkeys(said)) or type(exc).__name__


def _collectors(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> list[Collector]:
    from harvester.x import XCollector

    settings = loaded.settings
    return [XCollector(search_client(loaded), settings.platforms.x, settings, clock)]


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.x import XTarget

    return XTarget(user_client(loaded), loaded.settings.publish.x, clock)


def _source_check(sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock) -> Any:
    from compliance import sources

    def step(summary: ComplianceSummary) -> None:
        lookup = sources.x_lookup(search_client(loaded), clock)
        sources.sweep_x(sessions, loaded, clock, summary, lookup)

    return step


PLATFORM = Platform(
    name="x",
    label="X",
    capabilities={"harvest": True, "publish": True, "delete": True, "reply": True},
    harvest_settings=XHarvest,
    publish_settings=XPublish,
    collectors=_collectors,
    target=_target,
    source_check=_source_check,
    classify=classify,
    consent_field="x_handle",
    id_shape=re.compile(r"^[0-9]{1,20}$"),  # a decimal snowflake
    aliases=("twitter",),
    reshares_own_post=True,
    quota_credential="bearer_token_env",
)
