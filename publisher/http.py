"""Sorting the answers of requests-based platforms (Graph, LinkedIn, TikTok) by who must act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from config.errors import CredentialRejected, TryLater
from publisher.common import Refused, Transient


def call(session: Any, method: str, url: str, what: str, now: datetime, **kwargs: Any) -> Any:
    import requests

    try:
        response = session.request(method, url, **kwargs)
    except requests.RequestException as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from exc
    status = response.status_code
    if status == 429:
        wait = int(response.headers.get("retry-after", "60") or 60)
        raise TryLater(f"{what}: rate limited (HTTP 429)", now + timedelta(seconds=wait))
    if status >= 500:
        raise Transient(f"{what}: HTTP {status}")
    if status in (401, 403):
        raise CredentialRejected(f"{what}: the platform rejected the token (HTTP {status})")
    if status >= 400:
        raise Refused(f"{what}: HTTP {status}: {response.text[:200]}")
    return response


def json_of(response: Any, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise Transient(f"{what}: the answer was not JSON") from exc
    if not isinstance(body, dict):
        raise Transient(f"{what}: unexpected answer")
    return body


def epoch(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value and value.isdigit() else None
