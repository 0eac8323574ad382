"""Sorting the answers of requests-based platforms (Graph, LinkedIn, TikTok) by who must act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from config.errors import CredentialRejected, TryLater
from publisher.common import Gone, Refused, Transient

# Graph API: code 100 with subcode 33 is "Object with ID '...' does not exist, cannot be
# loaded due to missing permissions, or does not support this operation" (Graph API error
# reference, "Handling errors"); for a DELETE of our own post it means the post is gone.
GRAPH_NO_SUCH_OBJECT = (100, 33)


def said(response: Any) -> str:
    """What the platform said, in its own words, not its raw JSON: Graph and TikTok put
    it in error.message, LinkedIn in message, X in errors[0].message (or detail)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message") or error.get("error_user_msg")
            code = error.get("code")
            if message and code not in (None, "", "ok"):
                message = f"{message} (code {code})"
        message = message or body.get("message") or body.get("detail") or body.get("title")
        errors = body.get("errors")
        if not message and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = errors[0].get("message") or errors[0].get("detail")
    if not message:
        text = " ".join(str(getattr(response, "text", "") or "").split())
        message = "no explanation" if not text or text.startswith(("{", "<")) else text
    return str(message)[:300]


def _graph_code(response: Any) -> tuple[Any, Any]:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return None, None
    return (
        (error.get("code"), error.get("error_subcode")) if isinstance(error, dict) else (None, None)
    )


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
    if method == "DELETE" and (
        status in (404, 410) or _graph_code(response) == GRAPH_NO_SUCH_OBJECT
    ):
        raise Gone(f"{what}: already gone (HTTP {status}: {said(response)})")
    if status >= 400:
        raise Refused(f"{what}: HTTP {status}: {said(response)}")
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
