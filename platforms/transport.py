"""Send a client's requests to the configured base URL instead of its hard-coded host.

tweepy and instaloader have no base-URL option. A requests transport adapter that rewrites
scheme and host (keeping path, query, headers, auth and cookies) sends their calls wherever
the campaign file says: the real platform by default, the sandbox in tests and demos.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter


def rewrite_url(url: str, base_url: str) -> str:
    """https://api.twitter.com/2/x?y -> {base_url}/2/x?y (a base path is kept as a prefix)."""
    target = urlsplit(base_url)
    original = urlsplit(url)
    path = target.path.rstrip("/") + original.path
    return urlunsplit((target.scheme, target.netloc, path, original.query, original.fragment))


def is_identity(original_origin: str, base_url: str) -> bool:
    return original_origin.rstrip("/") == base_url.rstrip("/")


class RewriteAdapter(HTTPAdapter):
    """An HTTPAdapter that sends every request it handles to `base_url`."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        assert request.url is not None
        request.url = rewrite_url(request.url, self.base_url)
        return super().send(request, **kwargs)


def mount_rewrite(session: requests.Session, origin: str, base_url: str) -> None:
    """Route `origin` (e.g. https://api.twitter.com) of one session to `base_url`."""
    if not is_identity(origin, base_url):
        session.mount(origin.rstrip("/") + "/", RewriteAdapter(base_url))


# Process-wide rewrites, for clients (instaloader) that open sessions of their own.
_hosts: dict[str, RewriteAdapter] = {}
_lock = threading.Lock()
_original_get_adapter = requests.Session.get_adapter


def _get_adapter(self: requests.Session, url: str) -> Any:
    host = urlsplit(url).hostname or ""
    adapter = _hosts.get(host)
    if adapter is not None:
        return adapter
    return _original_get_adapter(self, url)


def route_hosts(mapping: Mapping[str, str]) -> None:
    """Send every requests.Session's calls to host -> base_url (idempotent, thread-safe)."""
    with _lock:
        for host, base_url in mapping.items():
            if is_identity(f"https://{host}", base_url):
                _hosts.pop(host, None)
                continue
            current = _hosts.get(host)
            if current is None or current.base_url != base_url.rstrip("/"):
                _hosts[host] = RewriteAdapter(base_url)
        if _hosts:
            requests.Session.get_adapter = _get_adapter  # type: ignore[method-assign]
        else:
            requests.Session.get_adapter = _original_get_adapter  # type: ignore[method-assign]


def clear_routes() -> None:
    with _lock:
        _hosts.clear()
        requests.Session.get_adapter = _original_get_adapter  # type: ignore[method-assign]
