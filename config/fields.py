"""The campaign file's building blocks: strict sections, checked strings, and the shapes every
platform's harvest and publish settings share (platforms/ defines each platform's own)."""

from __future__ import annotations

import ipaddress
import re
import string
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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
    if len(name) > 128:  # the quota ledger keeps a credential's variable name in 128
        raise ValueError(f"'{name[:20]}...' is longer than 128 characters")
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

# What each pattern asks for, in words: the person fixing the file reads these, not a regex
# (config/loader.py puts them in the message).
PATTERN_WORDS: dict[str, str] = {}


def pattern(regex: str, words: str, **kwargs: Any) -> Any:
    """Field(pattern=regex), whose refusal says `words` ("must be <words>")."""
    PATTERN_WORDS[regex] = words
    return Field(pattern=regex, **kwargs)


GraphVersion = Annotated[str, pattern(r"^v\d{1,3}\.\d{1,3}$", "a Graph API version such as v21.0")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def defaults(model: type[BaseModel]) -> Any:
    """The default of a section the file leaves out: that section's own defaults.

    Made when a campaign is validated, and by model_construct rather than by validating: a
    default instance made at import builds that model's validator on its own, beside the
    campaign's (which holds every section's), and building validators was most of the time
    `import config.schema` took. The defaults are valid as written; tests/config checks that
    each one equals the validated section.
    """
    return Field(default_factory=lambda: model.model_construct())


class HttpBounds(Strict):
    """How long and how much one call to the platform may take (platforms.transport)."""

    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30
    connect_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10
    # the whole exchange, however slowly the server sends it
    deadline_seconds: Annotated[float, Field(gt=0, le=3600)] = 120
    max_response_mb: Annotated[float, Field(gt=0, le=1024)] = 32


class Harvest(HttpBounds):
    """A [platforms.NAME] section: what every harvested platform has."""

    enabled: bool = True
    base_url: Url
    every: Duration = "15m"
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    # a run stops after this many pages (the next run goes on from there): a server that
    # never stops sending new pages cannot keep one run going for ever
    max_pages_per_run: Annotated[int, Field(ge=1, le=100_000)] = 1000


class Target(HttpBounds):
    """A [publish.NAME] section of a platform reached over the network."""

    enabled: bool = True
    base_url: Url
    # an upload (a reel, a TikTok video) is one exchange: more time than a harvest page
    deadline_seconds: Annotated[float, Field(gt=0, le=3600)] = 600
