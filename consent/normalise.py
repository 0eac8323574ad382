"""Identifiers as people write them on forms, made comparable with what platforms send."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

YOUTUBE_VIDEO = re.compile(r"(?:youtube\.com/(?:watch\?v=|shorts/|embed/)|youtu\.be/)([\w-]{11})")
X_STATUS = re.compile(r"(?:x|twitter)\.com/(?:[\w]+|i/web)/status/(\d+)")
CHANNEL_ID = re.compile(r"(UC[\w-]{22})")


def text(value: str | None) -> str:
    """Case, accents and spacing folded: for names and cities."""
    if not value:
        return ""
    folded = unicodedata.normalize("NFKD", value.casefold())
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def handle(value: str | None) -> str | None:
    """'@Name', 'name', 'https://x.com/Name', 'instagram.com/name/' -> 'name'."""
    if not value:
        return None
    value = value.strip()
    if "/" in value or value.startswith("http"):
        parts = urlsplit(value if "//" in value else f"https://{value}")
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
    parts = urlsplit(url.strip() if "//" in url else f"https://{url.strip()}")
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
    parts = urlsplit(value if "//" in value else f"https://{value}")
    numeric = parse_qs(parts.query).get("id", [None])[0]
    if numeric:
        return numeric, None
    return None, handle(value)
