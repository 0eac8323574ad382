"""Every harvested item is checked before it is stored; a bad one is reported and skipped.

A platform's answer is not trusted: ids must have the platform's shape (they go into URLs,
file names and the gallery), URLs must be http(s) (they become links people click), and
every text must fit the column it goes to. The limits are the database's own column sizes
(db.models), so SQLite, which would store anything, and PostgreSQL, which would refuse the
whole page, keep exactly the same rows. NUL characters, which PostgreSQL refuses in text,
are removed; everything else is stored as the platform sent it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from harvester.common import HarvestedPost
from platforms import registry

HANDLE = re.compile(r"^@?[\w.\-]{1,127}$")  # YouTube handles start with @

# The posts table's column sizes (db/models/posts.py); Text columns get a bound of our own.
MAX_NATIVE_ID = 64
MAX_AUTHOR_ID = 64
MAX_HANDLE = 128
MAX_NAME = 256
MAX_URL = 2048
# The longest post a platform allows is Facebook's 63,206 characters; YouTube's title and
# description together stay under 5,200.
MAX_TEXT = 64_000
MAX_TAGS = 100
MAX_TAG = 140
MAX_LINKS = 50
MAX_RAW_BYTES = 256 * 1024
MEDIA_TYPE = re.compile(r"^[a-z_-]{1,16}$")
URL_START = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)
# what str.isspace() calls a space (re's \s is the same Unicode test) or a control character
URL_BREAK = re.compile(r"[\s\x00-\x1f]")


@dataclass(frozen=True)
class Rejected:
    """One item that was not stored, and why (for the run's report)."""

    platform: str
    native_id: str
    reason: str

    def line(self) -> str:
        return f"{self.platform}: item {self.native_id}: {self.reason}: skipped"


class Invalid(ValueError):
    pass


def printable_id(value: object) -> str:
    """An id as it can be shown in a message: bounded, control characters escaped."""
    text = str(value)
    shown = json.dumps(text[:40], ensure_ascii=True)
    return shown + ("…" if len(text) > 40 else "")


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")


def _text(value: str | None, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{field} is not text")
    value = _no_nul(value)
    if len(value) > limit:
        raise Invalid(f"{field} is {len(value)} characters (at most {limit})")
    return value


def _url(value: str | None, field: str) -> str | None:
    value = _text(value, field, MAX_URL)
    if value is None or value == "":
        return value
    if not URL_START.match(value) or URL_BREAK.search(value):
        raise Invalid(f"{field} is not an http(s) URL ({printable_id(value)})")
    return value


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return _no_nul(value)
    if isinstance(value, dict):
        return {_no_nul(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


def _raw_json(value: Any) -> tuple[Any, str]:
    """The answer without NUL characters, and its JSON text. Walking every value of every
    answer cost more than storing the page, so the walk is only for an answer whose JSON
    shows a NUL (or a key JSON cannot write)."""
    try:
        dumped = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        dumped = "\\u0000"
    if "\\u0000" not in dumped:
        return value, dumped
    value = _clean_json(value)
    return value, json.dumps(value, ensure_ascii=False, default=str)


def stored_json(value: Any) -> str:
    """`value` as a JSON column stores it: the text SQLAlchemy's JSON type makes (json.dumps,
    as no engine of ours sets a serializer of its own)."""
    return json.dumps(value)


def _raw(value: Any) -> tuple[Any, str | None]:
    """The answer as it is stored (without NUL characters, or a note in its place when its
    JSON is over MAX_RAW_BYTES characters), and its JSON text as stored, so the posts insert
    does not serialise every answer a second time (None: the insert makes it)."""
    try:
        text: str | None = stored_json(value)
    except (TypeError, ValueError):
        text = None  # what _raw_json does with it, and the insert would refuse it as before
    # The bound is on the text without \u escapes, which only lengthen it: that text is
    # made only for an answer whose escaped text is over the bound. A NUL is \u0000 in both.
    if text is not None and "\\u0000" not in text:
        if len(text) <= MAX_RAW_BYTES or len(_raw_json(value)[1]) <= MAX_RAW_BYTES:
            return value, text
        return _omitted(), None
    value, dumped = _raw_json(value)
    return (value if len(dumped) <= MAX_RAW_BYTES else _omitted()), None


def _omitted() -> dict[str, str]:
    # the answer as received is kept for provenance, but not an oversized one
    return {"omitted": f"the platform's answer for this item was over {MAX_RAW_BYTES} bytes"}


def check(post: HarvestedPost) -> HarvestedPost:
    """The post fit for storing, or Invalid naming the field that is not."""
    # the shapes of each platform's own ids are the registry's (platforms/)
    platform = registry.get(post.platform)
    shape = platform.id_shape
    native_id = post.native_id if isinstance(post.native_id, str) else ""
    if shape is None or not shape.match(native_id) or len(native_id) > MAX_NATIVE_ID:
        raise Invalid(f"the id does not have the shape of a {post.platform} id")
    author_id = platform.author_id_shape
    if post.author_id is not None and not author_id.match(str(post.author_id)):
        raise Invalid(f"author id {printable_id(post.author_id)} is not an id")
    handle = _text(post.author_handle, "author handle", MAX_HANDLE)
    if handle and not HANDLE.match(handle):
        raise Invalid(f"author handle {printable_id(handle)} is not a handle")
    url = _url(post.url, "url")
    if not url:
        raise Invalid("no url")
    media_url = _url(post.media_url, "media url")
    links = [_url(link, "link") or "" for link in post.links[:MAX_LINKS]]
    if len(post.links) > MAX_LINKS:
        raise Invalid(f"{len(post.links)} links (at most {MAX_LINKS})")
    if len(post.hashtags) > MAX_TAGS or len(post.mentions) > MAX_TAGS:
        raise Invalid(f"more than {MAX_TAGS} hashtags or mentions")
    tags = [_text(t, "hashtag", MAX_TAG) or "" for t in post.hashtags]
    mentions = [_text(m, "mention", MAX_TAG) or "" for m in post.mentions]
    if post.media_type is not None and not MEDIA_TYPE.match(str(post.media_type)):
        raise Invalid(f"media type {printable_id(post.media_type)} is unknown")
    duration = post.duration_seconds
    if duration is not None and not (0 <= duration < 10**7):
        raise Invalid(f"duration {duration} is not a length of video")
    raw, raw_json = _raw(post.raw)
    return replace(
        post,
        native_id=native_id,
        url=url,
        text=_text(post.text or "", "text", MAX_TEXT) or "",
        author_id=post.author_id,
        author_handle=handle,
        author_name=_text(post.author_name, "author name", MAX_NAME),
        hashtags=[t for t in tags if t],
        mentions=[m for m in mentions if m],
        links=[link for link in links if link],
        media_url=media_url,
        raw=raw,
        raw_json=raw_json,
        body=_text(post.body, "text", MAX_TEXT),
    )


def validate(posts: list[HarvestedPost]) -> tuple[list[HarvestedPost], list[Rejected]]:
    """The posts fit for storing, and one report for each that is not."""
    good: list[HarvestedPost] = []
    rejected: list[Rejected] = []
    for post in posts:
        try:
            good.append(check(post))
        except Invalid as exc:
            rejected.append(Rejected(post.platform, printable_id(post.native_id), str(exc)))
    return good, rejected
