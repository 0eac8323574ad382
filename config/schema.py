"""The campaign file's schema. Unknown keys are errors: a typo must never be ignored.

Credentials never sit in the file; fields ending in ``_env`` name the environment variable
that holds them (see ``config.credentials``).
"""

from __future__ import annotations

import ipaddress
import re
import string
from datetime import date, timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

# at most 6 digits: a number that large is a typo, and a longer one overflows timedelta
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# A schedule shorter than a second would spin; longer than a year is a typo.
SHORTEST, LONGEST = timedelta(seconds=1), timedelta(days=366)

# The names a publish template may use (publisher.common.render fills exactly these), and
# the widest a field may be padded to: a width of 999999999 would build a 1 GB string.
TEMPLATE_FIELDS = frozenset(
    {"first_name", "city", "country", "hashtags", "url", "role", "question", "excerpt"}
)
MAX_TEMPLATE_WIDTH = 500
_SPEC = re.compile(r"^(?:.?[<>^=])?[-+ ]?(\d*)$")
# A Graph/YouTube id or version goes into a URL path: one path segment, never "..".
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")
_WORD = re.compile(r"^\w{1,100}$")


def parse_duration(text: str) -> timedelta:
    """'30s', '15m', '6h', '1d' -> timedelta (at least a second, at most a year)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"'{text[:40]}' is not a duration like 30s, 15m, 6h or 1d")
    value = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    if value < SHORTEST:
        raise ValueError(f"'{text}' is not a positive duration (at least 1s)")
    if value > LONGEST:
        raise ValueError(f"'{text}' is longer than a year (at most 366d)")
    return value


def check_template(template: str, fields: frozenset[str] = TEMPLATE_FIELDS) -> str:
    """Known placeholders only, plain or padded to a bounded width; nothing else."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in fields:
            known = ", ".join(f"{{{f}}}" for f in sorted(fields))
            raise ValueError(f"unknown placeholder {{{name[:40]}}} (known: {known})")
        if conversion:
            raise ValueError(f"{{{name}!{conversion}}}: conversions are not allowed")
        spec = spec or ""
        width = _SPEC.match(spec)
        if width is None:
            raise ValueError(
                f"{{{name}:{spec[:40]}}}: only an alignment and a width are allowed, "
                "like {first_name:>10}"
            )
        digits = width.group(1)
        if digits and (len(digits) > 4 or int(digits) > MAX_TEMPLATE_WIDTH):
            raise ValueError(f"{{{name}:{spec[:40]}}}: a width above {MAX_TEMPLATE_WIDTH}")
    return template


def _check_path_segment(value: str) -> str:
    if not _PATH_SEGMENT.match(value):
        raise ValueError(f"'{value[:40]}' is not an id (letters, digits, . _ -)")
    return value


def _check_duration(text: str) -> str:
    parse_duration(text)
    return text


def _check_env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise ValueError(f"'{name}' is not an environment variable name (A-Z, 0-9, _)")
    return name


def _check_url(url: str) -> str:
    if not re.match(r"^https?://[^\s/]+", url):
        raise ValueError(f"'{url}' is not an http(s) URL")
    return url.rstrip("/")


def is_loopback(url: str) -> bool:
    """Only an address that is loopback by itself: `127.attacker.example` is a remote name."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


Duration = Annotated[str, AfterValidator(_check_duration)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]
Url = Annotated[str, AfterValidator(_check_url)]
Template = Annotated[str, AfterValidator(check_template)]
PathSegment = Annotated[str, AfterValidator(_check_path_segment)]

TARGETS = ("x", "youtube", "instagram", "facebook", "linkedin", "tiktok", "gallery")
HARVEST_PLATFORMS = ("x", "youtube", "instagram", "facebook")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignInfo(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    name: str
    hashtags: Annotated[list[str], Field(min_length=1)]
    mentions: list[str] = []
    start: date
    end: date | None = None
    languages: list[str] | None = None

    @field_validator("hashtags", "mentions")
    @classmethod
    def _bare(cls, values: list[str]) -> list[str]:
        # People write "#Tag" or "@Name"; keep the bare word so queries build one way.
        bare = [v.strip().lstrip("#@") for v in values if v.strip()]
        for value in bare:
            if not _WORD.match(value):
                raise ValueError(
                    f"'{value[:40]}' is not one word (letters, digits and _ only, no spaces)"
                )
        return bare

    @field_validator("end")
    @classmethod
    def _ends_after_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise ValueError(f"{end} is before start {start}")
        return end


class Role(Strict):
    label: str
    says: list[str] = []
    questions: list[str] = []
    keywords: list[str] = []


class Rules(Strict):
    max_video_seconds: Annotated[int, Field(gt=0)] = 60
    require_hashtag: bool = True
    require_mention: bool = True
    require_video: bool = True
    minimum_age_without_guardian: Annotated[int, Field(ge=0, le=30)] = 18


class ConsentMatching(Strict):
    # rapidfuzz scores (0-100). Name+city similarity only ever gives needs-check.
    name_threshold: Annotated[float, Field(ge=50, le=100)] = 90
    city_threshold: Annotated[float, Field(ge=50, le=100)] = 85
    handle_typo_threshold: Annotated[float, Field(ge=50, le=100)] = 90


# What a consent request may say (consent/requests.py fills exactly these) and what the
# form's address must carry: the request's code, which ties the signed form to the post.
REQUEST_FIELDS = frozenset({"first_name", "handle", "link"})


def _check_request_text(template: str) -> str:
    check_template(template, REQUEST_FIELDS)
    if "{link}" not in template:
        raise ValueError("the request must give the form's address: put {link} in it")
    return template


def _check_form_url(url: str) -> str:
    check_template(url, frozenset({"code"}))
    if not re.match(r"^https?://[^\s/{}]+", url):
        raise ValueError(f"'{url[:60]}' is not an http(s) URL")
    if "{code}" not in url:
        raise ValueError("the form's address must carry the request's code: put {code} in it")
    return url


class ConsentRequestSettings(Strict):
    """`storydesk ask`: the message asking a poster to sign the form, per language."""

    form_url: Annotated[str, AfterValidator(_check_form_url)]
    # language code -> text; {link} is the form's address with this request's code
    text: Annotated[
        dict[str, Annotated[str, AfterValidator(_check_request_text)]], Field(min_length=1)
    ]
    default_language: str = "en"
    # sent replies and printed messages together, over any 60 minutes
    per_hour: Annotated[int, Field(ge=1, le=1000)] = 30
    expire_after: Duration = "30d"
    opt_in_hashtag: Annotated[str, Field(pattern=r"^#?\w{1,100}$")] = "YesUNESCO"
    withdraw_hashtag: Annotated[str, Field(pattern=r"^#?\w{1,100}$")] = "NoUNESCO"

    @model_validator(mode="after")
    def _default_has_text(self) -> ConsentRequestSettings:
        if self.default_language not in self.text:
            raise ValueError(
                f"default_language '{self.default_language}' has no text "
                f"(texts: {', '.join(sorted(self.text))})"
            )
        if self.opt_in_hashtag.lstrip("#").lower() == self.withdraw_hashtag.lstrip("#").lower():
            raise ValueError("opt_in_hashtag and withdraw_hashtag must differ")
        return self


class ConsentSettings(Strict):
    # canonical column -> the header used by the form tool's export
    columns: dict[str, str] = {}
    list_separator: str = ";"
    # how the export writes a date such as 01/02/2027; without it, such a date is a row error
    date_format: Literal["DD/MM/YYYY", "MM/DD/YYYY"] | None = None
    match: ConsentMatching = ConsentMatching()
    request: ConsentRequestSettings | None = None


class Harvest(Strict):
    enabled: bool = True
    base_url: Url
    every: Duration = "15m"
    timeout_seconds: Annotated[float, Field(gt=0)] = 30
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    # a run stops after this many pages (the next run goes on from there): a server that
    # never stops sending new pages cannot keep one run going for ever
    max_pages_per_run: Annotated[int, Field(ge=1, le=100_000)] = 1000


class XHarvest(Harvest):
    base_url: Url = "https://api.twitter.com"
    bearer_token_env: EnvName = "STORYDESK_X_BEARER_TOKEN"
    max_results: Annotated[int, Field(ge=10, le=100)] = 100
    # Under cron a 429 ends the run (exit 75); the daemon may wait for the reset instead.
    wait_on_rate_limit: bool = False


class YouTubeHarvest(Harvest):
    base_url: Url = "https://youtube.googleapis.com"
    api_key_env: EnvName = "STORYDESK_YOUTUBE_API_KEY"
    daily_quota: Annotated[int, Field(gt=0)] = 10000
    costs: dict[str, int] = {
        "search.list": 100,
        "videos.list": 1,
        "channels.list": 1,
        "playlistItems.list": 1,
        "playlistItems.insert": 50,
        "playlistItems.delete": 50,
    }


class InstagramHarvest(Harvest):
    base_url: Url = "https://www.instagram.com"
    mobile_base_url: Url = "https://i.instagram.com"
    collector: Literal["instaloader", "graph"] = "instaloader"
    # instaloader: the session file saved by `instaloader --login`; its path is not a secret
    # but the file is, so the path comes from the environment too.
    session_file_env: EnvName = "STORYDESK_INSTAGRAM_SESSION_FILE"
    username_env: EnvName = "STORYDESK_INSTAGRAM_USERNAME"
    # graph collector
    graph_base_url: Url = "https://graph.facebook.com"
    graph_version: Annotated[str, Field(pattern=r"^v\d{1,3}\.\d{1,3}$")] = "v21.0"
    ig_user_id: PathSegment | None = None
    access_token_env: EnvName = "STORYDESK_INSTAGRAM_ACCESS_TOKEN"


class FacebookHarvest(Harvest):
    base_url: Url = "https://graph.facebook.com"
    graph_version: Annotated[str, Field(pattern=r"^v\d{1,3}\.\d{1,3}$")] = "v21.0"
    page_id: PathSegment
    access_token_env: EnvName = "STORYDESK_FACEBOOK_PAGE_TOKEN"


class Platforms(Strict):
    x: XHarvest | None = None
    youtube: YouTubeHarvest | None = None
    instagram: InstagramHarvest | None = None
    facebook: FacebookHarvest | None = None


class Target(Strict):
    enabled: bool = True
    base_url: Url


class XPublish(Target):
    base_url: Url = "https://api.twitter.com"
    mode: Literal["retweet", "quote"] = "retweet"
    # Quote posts were removed from X's self-serve (pay-per-use) tiers on 2026-04-20 (X API
    # changelog, 2026-04-16): quote mode only for an account that says it has that access.
    quote_access: bool = False
    template: Template = "{first_name} from {city}, {country}: \u201c{excerpt}\u201d {hashtags}"
    consumer_key_env: EnvName = "STORYDESK_X_CONSUMER_KEY"
    consumer_secret_env: EnvName = "STORYDESK_X_CONSUMER_SECRET"
    access_token_env: EnvName = "STORYDESK_X_ACCESS_TOKEN"
    access_token_secret_env: EnvName = "STORYDESK_X_ACCESS_TOKEN_SECRET"

    @model_validator(mode="after")
    def _quote_needs_access(self) -> XPublish:
        if self.mode == "quote" and not self.quote_access:
            raise ValueError(
                'mode = "quote" needs quote access, which X removed from its self-serve '
                'tiers on 2026-04-20: use mode = "retweet", or set quote_access = true if '
                "the account has Enterprise access"
            )
        return self


class YouTubePublish(Target):
    base_url: Url = "https://youtube.googleapis.com"
    playlist_id: PathSegment
    # Playlist writes need the owner's OAuth consent. An access token dies within the hour, so
    # the refresh token is kept with the OAuth client's id and secret, and google-auth gets a
    # fresh access token from oauth_base_url + /token whenever it needs one.
    refresh_token_env: EnvName = "STORYDESK_YOUTUBE_REFRESH_TOKEN"
    client_id_env: EnvName = "STORYDESK_YOUTUBE_CLIENT_ID"
    client_secret_env: EnvName = "STORYDESK_YOUTUBE_CLIENT_SECRET"
    oauth_base_url: Url = "https://oauth2.googleapis.com"


class InstagramPublish(Target):
    base_url: Url = "https://graph.facebook.com"
    graph_version: Annotated[str, Field(pattern=r"^v\d{1,3}\.\d{1,3}$")] = "v21.0"
    ig_user_id: PathSegment
    access_token_env: EnvName = "STORYDESK_INSTAGRAM_ACCESS_TOKEN"
    caption: Template = "{first_name}, {city}: {excerpt} {hashtags}"


class FacebookPublish(Target):
    base_url: Url = "https://graph.facebook.com"
    graph_version: Annotated[str, Field(pattern=r"^v\d{1,3}\.\d{1,3}$")] = "v21.0"
    page_id: PathSegment
    access_token_env: EnvName = "STORYDESK_FACEBOOK_PAGE_TOKEN"
    message: Template = "{first_name} from {city}, {country}: {excerpt} {hashtags}"


class LinkedInPublish(Target):
    base_url: Url = "https://api.linkedin.com"
    author: Annotated[str, Field(pattern=r"^urn:li:(person|organization):\S+$")]
    version: Annotated[str, Field(pattern=r"^\d{6}$")] = "202411"
    access_token_env: EnvName = "STORYDESK_LINKEDIN_ACCESS_TOKEN"
    commentary: Template = "{first_name} from {city}, {country}: {excerpt} {hashtags}"


class TikTokPublish(Target):
    base_url: Url = "https://open.tiktokapis.com"
    access_token_env: EnvName = "STORYDESK_TIKTOK_ACCESS_TOKEN"
    privacy_level: str = "SELF_ONLY"
    title: Template = "{first_name}, {city} {hashtags}"


class GalleryPublish(Strict):
    enabled: bool = True
    out: str = "gallery"
    title: str = "Learning never stops: testimonies"
    site_url: str = "https://example.org/gallery"


class Publish(Strict):
    every: Duration = "10m"
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 8
    x: XPublish | None = None
    youtube: YouTubePublish | None = None
    instagram: InstagramPublish | None = None
    facebook: FacebookPublish | None = None
    linkedin: LinkedInPublish | None = None
    tiktok: TikTokPublish | None = None
    gallery: GalleryPublish | None = None

    def enabled_targets(self) -> list[str]:
        return [t for t in TARGETS if (s := getattr(self, t)) is not None and s.enabled]


class Compliance(Strict):
    every: Duration = "6h"
    x_lookup_batch: Annotated[int, Field(ge=1, le=100)] = 100
    youtube_refresh_days: Annotated[int, Field(ge=1, le=30)] = 30
    purge_unmatched_after_days: Annotated[int, Field(ge=1)] = 30


class Operations(Strict):
    jitter_seconds: Annotated[float, Field(ge=0)] = 30
    # A time, not a count of runs: a quiet hashtag finds nothing for hours every night.
    zero_harvest_alarm_after: Duration = "24h"
    failing_alarm_runs: Annotated[int, Field(ge=1, le=100)] = 3
    lock_file: str | None = None


def _check_clock_time(text: str) -> str:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"'{text}' is not a time of day like 08:00")
    return text


class Alerts(Strict):
    """Alarms to people: each new alarm and its recovery once, by e-mail and/or webhook;
    a daily digest of the work waiting for staff."""

    email_to: list[str] = []
    digest_to: list[str] = []
    email_from: str = "storydesk@localhost"
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user_env: str | None = None
    smtp_password_env: str = "STORYDESK_SMTP_PASSWORD"
    # A Slack (or compatible) incoming-webhook URL holds its secret in the path: env only.
    webhook_url_env: str | None = None
    digest_at: Annotated[str, AfterValidator(_check_clock_time)] = "08:00"
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10

    def enabled(self) -> bool:
        return bool(self.email_to or self.digest_to or self.webhook_url_env)


class Credentials(Strict):
    # For the sandbox and demos: an unset credential variable stands as a dummy value, but
    # only while every base_url points at this machine (checked below), never at a platform.
    dummy_on_loopback: bool = False


class Campaign(Strict):
    campaign: CampaignInfo
    roles: dict[str, Role] = {}
    rules: Rules = Rules()
    consent: ConsentSettings = ConsentSettings()
    platforms: Platforms = Platforms()
    publish: Publish = Publish()
    compliance: Compliance = Compliance()
    operations: Operations = Operations()
    alerts: Alerts = Alerts()
    credentials: Credentials = Credentials()

    @model_validator(mode="after")
    def _dummies_stay_local(self) -> Campaign:
        if self.credentials.dummy_on_loopback:
            remote = [url for url in self.base_urls() if not is_loopback(url)]
            if remote:
                raise ValueError(
                    "credentials.dummy_on_loopback is only allowed when every base_url is "
                    f"on 127.0.0.1 or localhost; not: {remote[0]}"
                )
        return self

    def base_urls(self) -> list[str]:
        urls: list[str] = []
        for section in (self.platforms, self.publish):
            for name in type(section).model_fields:
                value = getattr(section, name)
                if isinstance(value, BaseModel):
                    urls += [
                        getattr(value, field)
                        for field in type(value).model_fields
                        if field.endswith("base_url")
                    ]
        return urls

    def credential_variables(self) -> list[tuple[str, str]]:
        """(campaign field, environment variable) of every credential the file names."""
        found: list[tuple[str, str]] = []
        for section_name in ("platforms", "publish"):
            section = getattr(self, section_name)
            for name in type(section).model_fields:
                value = getattr(section, name)
                if isinstance(value, BaseModel):
                    found += [
                        (f"{section_name}.{name}.{field}", getattr(value, field))
                        for field in type(value).model_fields
                        if field.endswith("_env")
                    ]
        return found

    def enabled_platforms(self) -> list[str]:
        return [
            p
            for p in HARVEST_PLATFORMS
            if (s := getattr(self.platforms, p)) is not None and s.enabled
        ]


class LoadedCampaign(BaseModel):
    """A validated campaign with where it came from (for provenance and messages)."""

    model_config = ConfigDict(frozen=True)

    settings: Campaign
    path: str
    config_hash: str

    @property
    def id(self) -> str:
        return self.settings.campaign.id
