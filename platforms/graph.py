"""Meta's Graph API (Instagram and Facebook): the one sorting of its answers by who must act.

Graph reports most problems in the body (`{"error": {"code": ...}}`), often with HTTP 400:
codes 190/102/2500 are a bad or expired token, 4/17/32/613 are rate limits
(developers.facebook.com/docs/graph-api/guides/error-handling).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config.errors import CredentialRejected, StorydeskError, Transient, TryLater, WorkFailed
from platforms import http

TOKEN_CODES = (190, 102, 2500)
RATE_CODES = (4, 17, 32, 613)


def classify_answer(status: int, body: Any, what: str, now: datetime) -> StorydeskError | None:
    """A Graph answer (status and decoded body) -> the error it means, or None when fine."""
    error = body.get("error") if isinstance(body, dict) else None
    if status == 429 or (error and error.get("code") in RATE_CODES):
        return TryLater(f"{what}: Graph API rate limit")
    if status >= 500:
        return Transient(f"{what}: HTTP {status}")
    if error:
        if error.get("code") in TOKEN_CODES or status in (401, 403):
            return CredentialRejected(
                f"{what}: the platform rejected the token ({error.get('type')} {error.get('code')})"
            )
        return WorkFailed(f"{what}: {error.get('message', 'error')}")
    if status in (401, 403):
        return CredentialRejected(f"{what}: the platform rejected the token (HTTP {status})")
    return None


classify = http.classify
