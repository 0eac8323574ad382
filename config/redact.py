"""The one redactor: what leaves the process or enters the database passes through here.

Two nets. Every credential value the process has read from the environment (and every one
the campaign names) is replaced wherever it appears, whatever a server did with it (echoed
in an error body, put in a URL, quoted in a message). And anything shaped like a token is
replaced even when nobody told us it was one: `Bearer ...`, `access_token=...` and the like
in URLs, JSON or headers, and the prefixes of the platforms' own token formats.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

MASK = "***"
# Shorter values would mask ordinary words; real credentials are longer.
MIN_SECRET = 8
# Values that are not secrets although they sit where a credential would (the sandbox's).
NOT_SECRET = frozenset({"0-storydesk-dummy-credential"})

_KEYS = (
    r"access_token|refresh_token|id_token|token|oauth_token|oauth_token_secret|oauth_signature"
    r"|oauth_consumer_key|client_secret|api_key|apikey|key|developerKey|password|passwd|secret"
    r"|sessionid|session_id|csrftoken|bearer_token|authorization|x-api-key|x-goog-api-key"
)
_SHAPES = re.compile(
    "|".join(
        [
            # Authorization: Bearer <token> / OAuth <params>
            r"(?P<scheme>\b(?:Bearer|OAuth|Basic|Token)\s+)(?P<v1>[A-Za-z0-9._~+/=%\-,\"]{8,})",
            # key=value in a query string or form body, key: value in a header, "key": "value"
            rf"(?P<key>(?<![A-Za-z0-9_-])(?:{_KEYS})[\"']?\s*[=:]\s*[\"']?"
            r"(?:(?:Bearer|OAuth|Basic|Token)\s+)?)"
            r"(?P<v2>[^\s&\"',;}<>]{6,})",
            # the platforms' own token formats, wherever they appear
            r"(?P<v3>\bAIza[0-9A-Za-z_\-]{30,}"  # Google API key
            r"|\bya29\.[0-9A-Za-z_\-.]{10,}"  # Google OAuth access token
            r"|\bEAA[A-Za-z0-9]{30,}"  # Meta access token
            r"|\bAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{20,}"  # X app bearer token
            r"|\bAQ[A-Za-z0-9_\-]{60,}"  # LinkedIn access token
            r"|\bact\.[A-Za-z0-9!*]{20,}"  # TikTok access token
            r")",
        ]
    ),
    re.IGNORECASE,
)

# What every match of _SHAPES holds, in lower case: a scheme word before its token, the = or :
# after a key, or a token format's prefix (a shape added above adds its word here). ASCII text
# without any of them has no match (redact_each).
_SHAPE_WORDS = ("bearer", "oauth", "basic", "token", "=", ":", "aiza", "ya29.", "eaa",
                "aaaaaaaaaaaaaaaaaaaa", "aq", "act.")  # fmt: skip

_secrets: set[str] = set()
_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None


def remember(*values: str | None) -> None:
    """Add credential values to what is always removed (for the life of the process)."""
    global _pattern
    fresh = {
        v.strip()
        for v in values
        if v and len(v.strip()) >= MIN_SECRET and v.strip() not in NOT_SECRET
    }
    with _lock:
        if fresh - _secrets:
            _secrets.update(fresh)
            # longest first, so a secret containing another is removed whole
            ordered = sorted(_secrets, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def remember_variables(names: Iterable[str]) -> None:
    remember(*(os.environ.get(name) for name in names))


def forget_all() -> None:
    """For tests: start again with no known secrets."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None


def _shape(match: re.Match[str]) -> str:
    if match.group("v1") is not None:
        return match.group("scheme") + MASK
    if match.group("v2") is not None:
        return match.group("key") + MASK
    return MASK


def redact(text: str) -> str:
    """The text with every known credential and every token-shaped string replaced."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _SHAPES.sub(_shape, text)


def redact_each(texts: Sequence[str]) -> Sequence[str]:
    """[redact(t) for t in texts], for many short texts (an import's response ids): one
    look through them all, joined by line breaks, and `texts` itself when it finds nothing.

    Why that is exact: each text is a part of the joined one, between line breaks or its
    ends. A match of either pattern within a text alone is also a match there: the
    patterns look outside a match only through lookbehind and \\b, and a line break
    before or after a text answers those as the text's own start and end do (no word
    character, none of the lookbehind's). So when the joined text has no match, no text
    has one, and redact would return each as it is. Any match (even one across a break)
    sends every text through redact. In ASCII text, where ignoring case is only A-Z against
    a-z, a match needs one of _SHAPE_WORDS in the lowered text: looking for those (and for
    the known secrets, the literals _pattern is made of) is a fraction of the search."""
    joined = "\n".join(texts)
    if joined.isascii():
        lowered = joined.lower()
        found = any(word in lowered for word in _SHAPE_WORDS)
    else:
        found = _SHAPES.search(joined) is not None
    with _lock:
        secrets = list(_secrets)
    if found or any(secret in joined for secret in secrets):
        return [redact(text) for text in texts]
    return texts


def redact_any(value: Any) -> Any:
    """The same through the strings of a JSON-like value (audit details, --json output)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_any(k): redact_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_any(v) for v in value]
    return value


class RedactingStream:
    """A text stream that redacts every write (stdout and stderr of the CLI)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
