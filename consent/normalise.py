"""Identifiers as people write them on forms, made comparable with what platforms send."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import SplitResult, parse_qs, urlsplit

YOUTUBE_VIDEO = re.compile(r"(?:youtube\.com/(?:watch\?v=|shorts/|embed/)|youtu\.be/)([\w-]{11})")
X_STATUS = re.compile(r"(?:x|twitter)\.com/(?:[\w]+|i/web)/status/(\d+)")
CHANNEL_ID = re.compile(r"(UC[\w-]{22})")


class _Combining(dict[int, int | None]):
    """str.translate's table dropping combining marks (accents, vowel signs...): each code
    point is looked up in Unicode's tables once, when first met, then at C speed (matching
    folds a name or a post's text per post, 100k times). A table of every mark made up front
    took 40 ms of each process, a tenth of what `storydesk show` may take."""

    def __missing__(self, cp: int) -> int | None:
        kept = None if unicodedata.combining(chr(cp)) else cp
        self[cp] = kept
        return kept


_COMBINING = _Combining()


def text(value: str | None) -> str:
    """Case, accents and spacing folded: for names and cities."""
    if not value:
        return ""
    folded = unicodedata.normalize("NFKD", value.casefold())
    return " ".join(folded.translate(_COMBINING).split())


def _url(value: str) -> SplitResult:
    """A link as typed on a form (scheme optional). What urllib cannot split (a stray '['
    reads as a broken IPv6 host) is taken as a bare path: a form never stops the matcher."""
    value = value.strip()
    try:
        return urlsplit(value if "//" in value else f"https://{value}")
    except ValueError:
        return SplitResult("", "", value, "", "")


def handle(value: str | None) -> str | None:
    """'@Name', 'name', 'https://x.com/Name', 'instagram.com/name/' -> 'name'."""
    if not value:
        return None
    value = value.strip()
    if "/" in value or value.startswith("http"):
        parts = _url(value)
        path = [p for p in parts.path.split("/") if p]
        if not path:
            return None
        value = path[0]
    value = value.lstrip("@").strip().lower()
    return value or None


def video_key(url: str | None) -> str | None:
    """A post's identity from a link: platform and id where the URL carries one."""
    if not url:
        return None
    if match := YOUTUBE_VIDEO.search(url):
        return f"youtube:{match.group(1)}"
    if match := X_STATUS.search(url):
        return f"x:{match.group(1)}"
    parts = _url(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    # Paths stay as written: Instagram shortcodes are case-sensitive.
    return f"{host}{parts.path.rstrip('/')}" or None


def youtube_channel(value: str | None) -> tuple[str | None, str | None]:
    """(channel id, @handle) from what a form says of a YouTube channel."""
    if not value:
        return None, None
    if match := CHANNEL_ID.search(value):
        return match.group(1), None
    found = handle(value)
    return None, (found.lstrip("@") if found else None)


def facebook_profile(value: str | None) -> tuple[str | None, str | None]:
    """(numeric id, username) from a Facebook profile link."""
    if not value:
        return None, None
    parts = _url(value)
    numeric = parse_qs(parts.query).get("id", [None])[0]
    if numeric:
        return numeric, None
    return None, handle(value)
