"""The campaign's HTTP policy for clients built on httpx (the atproto SDK, for Bluesky).

The same bounds as platforms.transport's requests adapter: connect and read timeouts, the
size of an answer (Content-Length first, then counted as it arrives, after decompression)
and redirects. The deadline is checked as each piece of the answer arrives, and a piece
waits at most the read timeout: a server trickling its answer is cut off within
deadline + read timeout (the requests adapter's watchdog shuts the socket itself; httpx's
connection pool does not hand its socket out before the answer's headers).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from platforms.transport import HttpPolicy, PolicyBroken, _size, _where

# headers that describe the bytes on the wire, not the body handed on (already decoded)
_WIRE = {"content-encoding", "content-length", "transfer-encoding"}


class PolicyTransport(httpx.BaseTransport):
    def __init__(self, policy: HttpPolicy) -> None:
        self.policy = policy
        self._inner = httpx.HTTPTransport(retries=0)  # retrying is config.retry's

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        policy = self.policy
        where = f"{request.method} {_where(str(request.url))}"
        started = time.monotonic()
        too_large = PolicyBroken(
            f"{where}: the answer is larger than {_size(policy.max_bytes)} "
            f"({policy.section}.max_response_mb): not read"
        )
        wire = self._inner.handle_request(request)
        try:
            declared = wire.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > policy.max_bytes:
                raise too_large
            decoding = httpx.Response(
                wire.status_code, headers=wire.headers, stream=wire.stream, request=request
            )
            body = bytearray()
            for chunk in decoding.iter_bytes():
                body += chunk
                if len(body) > policy.max_bytes:
                    raise too_large
                if time.monotonic() - started > policy.deadline:
                    raise PolicyBroken(
                        f"{where}: no complete answer within {policy.deadline:g} s "
                        f"({policy.section}.deadline_seconds; "
                        f"{time.monotonic() - started:.1f} s spent)"
                    )
        finally:
            wire.close()
        headers = [(k, v) for k, v in wire.headers.multi_items() if k.lower() not in _WIRE]
        return httpx.Response(
            wire.status_code, headers=headers, content=bytes(body), request=request
        )

    def close(self) -> None:
        self._inner.close()


def client_options(policy: HttpPolicy) -> dict[str, Any]:
    """Keyword arguments for httpx.Client (atproto's Request passes them on)."""
    return {
        "timeout": httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout),
        "transport": PolicyTransport(policy),
        "max_redirects": policy.max_redirects,
    }
