"""What every collector shares: the harvested record, text parsing, error sorting."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from config.errors import Transient, TryLater

# A # (an @) with no word character or & (.) just before it. The sign comes first and the
# look back after it, so the regex engine searches for the sign alone instead of trying the
# look-behind at every character (a tenth of the work on a post of a few hundred characters).
HASHTAG = re.compile(r"#(?<![\w&]#)(\w+)", re.UNICODE)
MENTION = re.compile(r"@(?<![\w.]@)(\w+)", re.UNICODE)
URL = re.compile(r"https?://\S+")
WORD = re.compile(r"\w+")


@dataclass
class HarvestedPost:
    platform: str
    native_id: str
    url: str
    text: str
    published_at: datetime | None
    author_id: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    media_type: str | None = None
    media_url: str | None = None
    duration_seconds: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # the words that identify the testimony (YouTube: the description, not the title)
    body: str | None = None
    # countries where the platform withholds the post (X `withheld`): not publishable
    withheld: list[str] = field(default_factory=list)
    # `raw` as the posts table stores it, once validate has serialised it (store writes it
    # as it is): None until then, or where validate left it to the insert
    raw_json: str | None = field(default=None, repr=False, compare=False)


@dataclass
class Page:
    """One answer's posts and where the collector stands once they are stored."""

    posts: list[HarvestedPost]
    position: dict[str, Any]
    requests: int = 1
    quota_units: int = 0
    # the server's own cursor for the next page, when the stored position is not it (a
    # YouTube run stores a date bound but pages on with tokens): the loop guard watches it
    cursor: str | None = None
    # items of the answer that could not be read at all (one line each: id and why)
    unreadable: list[str] = field(default_factory=list)
    # quota spent in buckets of their own (YouTube search.list since 2026): bucket -> units
    quota_buckets: dict[str, int] = field(default_factory=dict)


UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def tolerant(
    parse: Callable[[dict[str, Any]], list[HarvestedPost]],
    answer: dict[str, Any],
    key: str,
    platform: str,
) -> tuple[list[HarvestedPost], list[str]]:
    """`parse(answer)`; when one item breaks it, the answer is read item by item instead,
    so an item the platform garbled is named and skipped and never blocks the others (on
    this run or the next)."""
    try:
        return parse(answer), []
    except UNREADABLE:
        pass
    items = answer.get(key)
    if not isinstance(items, list):
        raise GarbledPage(f"{platform}: the answer's {key} is not a list")
    posts: list[HarvestedPost] = []
    unreadable: list[str] = []
    for item in items:
        try:
            posts += parse({**answer, key: [item]})
        except UNREADABLE as exc:
            ident = item.get("id") if isinstance(item, dict) else None
            shown = json.dumps(str(ident)[:40]) if ident is not None else "without an id"
            unreadable.append(
                f"{platform}: item {shown}: unreadable ({type(exc).__name__}: "
                f"{str(exc)[:80]}): skipped"
            )
    return posts, unreadable


class Collector(Protocol):
    platform: str
    query: str

    def pages(self, position: dict[str, Any]) -> Iterator[Page]: ...

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        """The position to keep once every page of a run is stored."""
        ...


class GarbledPage(Transient):
    """An answer that does not have the shape the platform documents: worth another try."""


def hashtags_in(text: str) -> list[str]:
    return list(dict.fromkeys(HASHTAG.findall(text)))


def mentions_in(text: str) -> list[str]:
    return list(dict.fromkeys(MENTION.findall(text)))


def urls_in(text: str) -> list[str]:
    return [u.rstrip(").,;!?") for u in URL.findall(text)]


def fingerprint(text: str) -> str | None:
    """The words of a text without links, tags and case: the same testimony posted twice."""
    words = URL.sub(" ", text)
    words = HASHTAG.sub(" ", MENTION.sub(" ", words))
    normal = " ".join(WORD.findall(words.lower()))
    if len(normal) < 20:
        return None
    return hashlib.sha1(normal.encode()).hexdigest()  # noqa: S324 - a fingerprint, not security


def try_later(platform: str, reason: str, retry_at: datetime | None) -> TryLater:
    return TryLater.until(f"{platform}: {reason}", retry_at)
