"""Who may use the review page: the person who started it, on this machine.

The URL printed at start carries a token made for this run. The first request with it gets
a session cookie (HttpOnly, SameSite=Strict) and is sent on to the same page without the
token, so it stays out of history and Referer headers. Anything without the cookie or the
token is answered 403. A POST must also carry the CSRF token the page was rendered with,
and come from this page's origin. The Host header must be the address we serve on, so a
web page elsewhere cannot reach us by renaming its host to 127.0.0.1 (DNS rebinding).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

COOKIE = "storydesk_review"
TOKEN = "t"  # the URL's query argument

# The platforms' own players, and nothing else, may be framed (docs named in embeds.py).
FRAMES = ("https://www.youtube-nocookie.com", "https://www.tiktok.com", "https://www.facebook.com")

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # thumbnails come from the platforms' image hosts; an image runs nothing
        "img-src 'self' https:",
        f"frame-src {' '.join(FRAMES)}",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin: our own POSTs keep their Origin header; nothing goes to the platforms
    "Referrer-Policy": "same-origin",
    # forms and posts are personal data: never kept by the browser's cache
    "Cache-Control": "no-store",
}


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass
class Keys:
    """This run's secrets: the URL token, the session cookie, the CSRF token."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def token_ok(self, given: str | None) -> bool:
        return _same(given, self.token)

    def session_ok(self, given: str | None) -> bool:
        return _same(given, self.session)

    def csrf_ok(self, given: str | None) -> bool:
        return _same(given, self.csrf)


def host_ok(host: str, port: int) -> bool:
    return host in (f"127.0.0.1:{port}", f"localhost:{port}")


def origin_ok(origin: str | None, port: int) -> bool:
    """A POST from our own page (browsers send Origin with every POST), or from a client
    that sends none (a script holding both tokens)."""
    return origin is None or origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}")
