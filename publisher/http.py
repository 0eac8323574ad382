"""Sorting the answers of requests-based platforms (Graph, LinkedIn, TikTok) by who must act."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from config.errors import Transient
from platforms import http
from platforms.base import reraise
from platforms.http import said

__all__ = ["said"]


def call(session: Any, method: str, url: str, what: str, now: datetime, **kwargs: Any) -> Any:
    try:
        response = session.request(method, url, **kwargs)
    except Exception as exc:  # noqa: BLE001 - sorted by the one mapping of HTTP answers
        reraise(http.classify, exc, what, now)
    error = http.classify_response(response, method, what, now)
    if error is not None:
        raise error
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
