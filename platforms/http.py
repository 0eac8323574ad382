"""requests sessions for the platforms reached over plain HTTP (Graph, LinkedIn, TikTok), and
the one sorting of their HTTP answers by who must act."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from config.errors import CredentialRejected, Gone, Refused, StorydeskError, Transient, TryLater

if TYPE_CHECKING:
    import requests

DEFAULT_TIMEOUT = 30.0


def session(
    timeout: float = DEFAULT_TIMEOUT,
    token: str | None = None,
    settings: Any = None,
    section: str = "platforms.*",
) -> requests.Session:
    """A session whose every request is held to the HTTP policy of `settings` (a campaign
    section named `section`: timeouts, deadline, size cap), or to `timeout` seconds a read."""
    from platforms.transport import HttpPolicy, policy_session

    policy = (
        HttpPolicy.of(settings, section)
        if settings is not None
        else HttpPolicy(read_timeout=timeout, section=section)
    )
    built = policy_session(policy)
    if token is not None:
        built.headers["Authorization"] = f"Bearer {token}"
    return built


def _with_timeout(request: Any, timeout: float) -> Any:
    def call(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout)
        return request(method, url, **kwargs)

    return call


# Graph API: code 100 with subcode 33 (GraphMethodException, HTTP 400) is "Unsupported
# <get|delete> request. Object with ID '...' does not exist, cannot be loaded due to missing
# permissions, or does not support this operation". Meta's error reference ("Handling
# errors") does not list subcode 33; the answers are recorded: 100/33 with that message on a
# GET of a missing object (github.com/roughike/flutter_facebook_login/issues/44), and the
# "Unsupported delete request" form on deleting a post twice
# (github.com/SpottedBot/SpottedBot/issues/30). The same words cover a token that may not
# see the object: for a DELETE of our own post with the Page token that made it, gone.
GRAPH_NO_SUCH_OBJECT = (100, 33)
# Instagram's media_publish past the account's moving 24 h publishing limit: code 9, subcode
# 2207042 (Instagram Platform error codes, as API clients record it): wait, not refused.
IG_PUBLISH_LIMIT = (9, 2207042)


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


def retry_after(headers: Any, now: datetime, default: float | None) -> datetime | None:
    """When the server asks to be called again (Retry-After: seconds or an HTTP date, RFC
    9110 10.2.3), never further than a day: a hostile or broken value is not obeyed."""
    from email.utils import parsedate_to_datetime

    value = str(headers.get("retry-after", "") or "").strip()
    seconds: float | None = default
    if value.isdigit():
        seconds = float(value[:6])
    elif value:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError, OverflowError):
            seconds = default
    if seconds is None:
        return None
    return now + timedelta(seconds=min(max(seconds, 0), 86400))


def classify_response(
    response: Any, method: str, what: str, now: datetime
) -> StorydeskError | None:
    """An HTTP answer -> the error it means, or None for a 2xx/3xx."""
    status = response.status_code
    if status == 429:
        return TryLater.until(
            f"{what}: rate limited (HTTP 429)", retry_after(response.headers, now, 60)
        )
    if status >= 500:
        return Transient(f"{what}: HTTP {status}", retry_after(response.headers, now, None))
    if status in (401, 403):
        return CredentialRejected(f"{what}: the platform rejected the token (HTTP {status})")
    if method == "DELETE" and (
        status in (404, 410) or _graph_code(response) == GRAPH_NO_SUCH_OBJECT
    ):
        return Gone(f"{what}: already gone (HTTP {status}: {said(response)})")
    code, subcode = _graph_code(response) if status >= 400 else (None, None)
    if (code, subcode) == IG_PUBLISH_LIMIT:
        return TryLater(f"{what}: the account's 24-hour API publishing limit is spent")
    if isinstance(code, int):
        # Graph says why in the body, usually with HTTP 400: an expired token (190) or a
        # rate limit (4/17/32/613) is sorted by its code, as platforms/graph.py does for
        # harvests, not refused as a bad request
        from platforms import graph

        if code in graph.TOKEN_CODES + graph.RATE_CODES:
            return graph.classify_answer(status, response.json(), what, now)
    if status >= 400:
        return Refused(f"{what}: HTTP {status}: {said(response)}")
    return None


def classify(exc: BaseException, what: str, now: datetime) -> StorydeskError | None:
    """A requests exception (no answer at all, or a body that is not JSON)."""
    import requests

    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return Transient(f"{what}: the answer was not JSON")
    if isinstance(exc, requests.RequestException):
        return Transient(f"{what}: {type(exc).__name__}")
    return None
