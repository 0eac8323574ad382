"""How each copy's video is shown on the review page: the platform's own player where it
offers one that runs in a frame of its own, else the thumbnail with a link to the post.

- YouTube: the privacy-enhanced player, https://www.youtube-nocookie.com/embed/VIDEO_ID
  (YouTube Help, "Embed videos & playlists", Turn on privacy-enhanced mode).
- TikTok: the Embed Player, https://www.tiktok.com/player/v1/POST_ID (TikTok for
  Developers, Embed Player).
- Facebook: Meta's Embedded Video Player in its iframe form,
  https://www.facebook.com/plugins/video.php?href=VIDEO_URL (Meta for Developers,
  Embedded Video & Live Video Player).
- X and Instagram embed through a script of theirs running in the host page (widgets.js,
  embed.js), which would run beside the page's CSRF token: they get the thumbnail and a
  link instead.

A player loads only when the reviewer asks for it (the `v` key or its button), so opening
the page sends nothing to a platform but thumbnail requests; only http(s) URLs are shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
DIGITS = re.compile(r"^\d{1,30}$")
YOUTUBE_WATCH = re.compile(r"[?&]v=([A-Za-z0-9_-]{11})|youtu\.be/([A-Za-z0-9_-]{11})")
TIKTOK_VIDEO = re.compile(r"/video/(\d{1,30})")


@dataclass(frozen=True)
class Embed:
    platform: str
    link: str | None  # the post on its platform
    player: str | None  # a frame the platform serves, loaded on request
    thumbnail: str | None

    @property
    def label(self) -> str:
        return {"x": "X", "youtube": "YouTube", "tiktok": "TikTok"}.get(
            self.platform, self.platform.capitalize()
        )


def web_url(value: Any) -> str | None:
    """`value` if it is an http(s) URL with a host, else None (javascript:, data:, ...)."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return value.strip()


def _youtube_id(post: Mapping[str, Any]) -> str | None:
    native = str(post.get("native_id") or "")
    if YOUTUBE_ID.match(native):
        return native
    found = YOUTUBE_WATCH.search(str(post.get("url") or ""))
    return (found.group(1) or found.group(2)) if found else None


def embed(post: Mapping[str, Any]) -> Embed:
    platform = str(post.get("platform") or "")
    link = web_url(post.get("url"))
    media = web_url(post.get("media_url"))
    is_video = post.get("media_type") == "video" or bool(post.get("duration_seconds"))
    player: str | None = None
    thumbnail = media if media and not media.startswith("https://www.facebook.com/") else None
    if platform == "youtube" and (video := _youtube_id(post)):
        player = f"https://www.youtube-nocookie.com/embed/{video}"
        thumbnail = thumbnail or f"https://i.ytimg.com/vi/{video}/hqdefault.jpg"
    elif platform == "tiktok":
        native = str(post.get("native_id") or "")
        found = TIKTOK_VIDEO.search(link or "")
        video_id = native if DIGITS.match(native) else found.group(1) if found else None
        if video_id:
            player = f"https://www.tiktok.com/player/v1/{video_id}"
    elif platform == "facebook" and is_video:
        href = media if media and media.startswith("https://www.facebook.com/") else link
        if href and urlsplit(href).hostname in ("www.facebook.com", "facebook.com"):
            player = f"https://www.facebook.com/plugins/video.php?href={quote(href, safe='')}"
    return Embed(platform, link, player, thumbnail if thumbnail != link else None)
