"""The campaign file's schema. Unknown keys are errors: a typo must never be ignored.

Credentials never sit in the file; fields ending in ``_env`` name the environment variable
that holds them (see ``config.credentials``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from config.campaign_file import CAMPAIGN_ID
from config.fields import (
    _WORD,
    Duration,
    Strict,
    check_template,
    defaults,
    is_loopback,
    parse_duration,
    pattern,
)
from platforms import registry

__all__ = [
    "REMOVED",
    "Campaign",
    "LoadedCampaign",
    "check_template",
    "is_loopback",
    "parse_duration",
]

# Keys that once existed: a file that still has one is told what became of it, not just
# "unknown key", so the person fixing it knows nothing is lost by deleting the line.
REMOVED: dict[tuple[str, ...], str] = {
    # it never filtered anything, and a filter on a multilingual campaign would silently
    # drop testimonies in a language nobody listed
    ("campaign", "languages"): "removed: every language is harvested; delete this line",
}


class CampaignInfo(Strict):
    id: Annotated[
        str,
        pattern(
            CAMPAIGN_ID,
            "2 to 63 lowercase letters, digits and dashes, not starting with a dash "
            "(such as learning-never-stops)",
        ),
    ]
    name: str
    hashtags: Annotated[list[str], Field(min_length=1)]
    mentions: list[str] = []
    start: date
    end: date | None = None

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


def _check_hashtag(text: str) -> str:
    # Python's re, like the campaign's hashtags above: as a pydantic pattern, \w{1,100}
    # became Rust's Unicode automaton, 60 ms to build in every command that loads the campaign
    if not _WORD.fullmatch(text.removeprefix("#")):
        raise ValueError(
            f"'{text[:40]}' is not one hashtag (letters, digits and _ only, at most 100, no spaces)"
        )
    return text


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
    opt_in_hashtag: Annotated[str, AfterValidator(_check_hashtag)] = "YesUNESCO"
    withdraw_hashtag: Annotated[str, AfterValidator(_check_hashtag)] = "NoUNESCO"
    # an opt-in by reply is intent, not a signed form; "social" lets it stand in for a form
    # for the social targets only, on the copy it answers, never for a minor or an unknown age
    opt_in_as_consent: Literal["never", "social"] = "never"

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
    # an empty separator could split nothing: refused here, not as a crash of the import
    list_separator: Annotated[str, Field(min_length=1)] = ";"
    # how the export writes a date such as 01/02/2027; without it, such a date is a row error
    date_format: Literal["DD/MM/YYYY", "MM/DD/YYYY"] | None = None
    match: ConsentMatching = defaults(ConsentMatching)
    request: ConsentRequestSettings | None = None


class Sections(Strict):
    """[platforms.*] or [publish.*]: one optional table per platform of the registry."""

    if TYPE_CHECKING:  # the fields are made from the registry; mypy sees them as Any

        def __getattr__(self, name: str) -> Any: ...

    def section(self, name: str) -> BaseModel | None:
        registry.get(name)  # an unknown name is an error, not "not configured"
        value = getattr(self, name, None)
        return value if isinstance(value, BaseModel) else None

    def enabled(self) -> list[str]:
        """Configured and enabled, in registry order."""
        return [
            name
            for name in type(self).model_fields
            if (s := getattr(self, name)) is not None and getattr(s, "enabled", False)
        ]


class PublishSections(Sections):
    every: Duration = "10m"
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 8

    def enabled_targets(self) -> list[str]:
        return self.enabled()


def _sections(name: str, base: type[Sections], kind: str) -> type[Sections]:
    fields: dict[str, Any] = {}
    for platform in registry.all_platforms():
        model = platform.harvest_settings if kind == "harvest" else platform.publish_settings
        if model is not None:
            fields[platform.name] = (model | None, None)
    return create_model(name, __base__=base, **fields)


if TYPE_CHECKING:
    Platforms = Sections
    Publish = PublishSections
else:
    Platforms = _sections("Platforms", Sections, "harvest")
    Publish = _sections("Publish", PublishSections, "publish")


class Compliance(Strict):
    every: Duration = "6h"
    x_lookup_batch: Annotated[int, Field(ge=1, le=100)] = 100
    # X charges every post read: a post is looked up again only this long after its last
    # check, and only while a reshare of it is out or it awaits review
    x_recheck_after: Duration = "24h"
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
    rules: Rules = defaults(Rules)
    consent: ConsentSettings = defaults(ConsentSettings)
    platforms: Platforms = defaults(Platforms)
    publish: Publish = defaults(Publish)
    compliance: Compliance = defaults(Compliance)
    operations: Operations = defaults(Operations)
    alerts: Alerts = defaults(Alerts)
    credentials: Credentials = defaults(Credentials)

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
        return self.platforms.enabled()

    def quota_credential(self, platform: str) -> str:
        """The name (never the value) of the variable holding the credential `platform`
        counts this campaign's quota on: "" for a platform without one. A platform this
        file leaves out counts on its settings' default variable, as it would if enabled."""
        entry = registry.get(platform)
        field = entry.quota_credential
        if field is None or entry.harvest_settings is None:
            return ""
        section = self.platforms.section(platform)
        if section is None:
            return str(entry.harvest_settings.model_fields[field].default)
        return str(getattr(section, field))


@dataclass(frozen=True)
class LoadedCampaign:
    """A validated campaign with where it came from (for provenance and messages).

    A plain dataclass: its settings are validated already, and a pydantic model here would
    build a second validator for the whole campaign schema when the module is imported.
    """

    settings: Campaign
    path: str
    config_hash: str

    @property
    def id(self) -> str:
        return self.settings.campaign.id
