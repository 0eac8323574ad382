"""The sandbox's HTTP server: routing by path, request counting, fault injection, a clock.

One port serves every platform on its real paths (they do not collide), so a client only
swaps scheme and host. Start it in-process with start_sandbox(port=0) for tests.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.world import World, generate_world


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        if "json" in self.headers.get("content-type", ""):
            data = self.json()
            return {k: v for k, v in data.items()} if isinstance(data, dict) else {}
        parsed = parse_qs(self.body.decode("utf-8", "replace"))
        return {k: v[0] for k, v in parsed.items()}

    def param(self, name: str) -> str | None:
        """A Graph-style parameter: query string or form body."""
        return self.arg(name) or self.form().get(name)


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


def error(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, body, headers or {})


@dataclass
class Fault:
    kind: str
    remaining: int | None
    ratio: float | None
    delay: float


class SandboxState:
    """Everything the fake platforms remember. One lock: answers are consistent."""

    def __init__(
        self,
        posts: int,
        seed: int,
        now: Callable[[], datetime] | None = None,
        youtube_daily_quota: int = 10_000,
        x_search_limit: int = 450,
        x_credits: int | None = None,
        youtube_search_quota: int = 100,
        youtube_search_cap: int = 500,
        x_quote_access: bool = False,
        replay: dict[str, list[dict[str, Any]]] | None = None,
        namesakes: int = 0,
    ) -> None:
        self.posts_count, self.seed = posts, seed
        self.namesakes = namesakes  # people sharing a name, age and city (sandbox/world.py)
        self._now = now or (lambda: datetime.now(UTC))
        self.offset = timedelta()
        self.lock = threading.RLock()
        self.youtube_daily_quota = youtube_daily_quota
        self.x_search_limit = x_search_limit
        # X pay-per-use: post reads left (None: not metered); quote posts need Enterprise
        self.x_credits_start, self.x_quote_access = x_credits, x_quote_access
        # YouTube: search.list's own daily bucket (calls) and its ~500-result cap
        self.youtube_search_quota, self.youtube_search_cap = (
            youtube_search_quota,
            youtube_search_cap,
        )
        # recorded answers of the real platforms served instead of the world (sandbox/replay.py)
        self.replay = replay or {}
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.world: World = generate_world(
                self.posts_count, self.seed, self.now(), self.namesakes
            )
            self.rng = random.Random(self.seed)
            self.requests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            self.writes: list[dict[str, Any]] = []
            self.faults: dict[str, list[Fault]] = defaultdict(list)
            self.quota_used: dict[str, int] = defaultdict(int)  # pacific day -> units
            # (bucket, pacific day) -> units, for methods with a bucket of their own
            self.quota_buckets: dict[tuple[str, str], int] = defaultdict(int)
            self.windows: dict[str, tuple[float, int]] = {}
            self.published: dict[str, dict[str, Any]] = defaultdict(dict)  # platform -> id -> obj
            self.retweets: set[str] = set()
            self.x_credits: int | None = self.x_credits_start
            self.x_posts_read = 0  # posts returned by search and look-ups (each one charged)
            # TikTok: has the app passed TikTok's audit; domains verified for PULL_FROM_URL
            self.tiktok_audited = False
            self.tiktok_verified_domains: set[str] = set()
            self.oauth_tokens: dict[str, float] = {}  # issued access token -> expiry (epoch)
            self.oauth_scopes: dict[str, frozenset[str]] = {}  # issued access token -> scopes
            self.revoked_refresh_tokens: set[str] = set()
            # replies and comments on participants' posts, per platform (ours and theirs)
            self.replies: dict[str, list[dict[str, Any]]] = defaultdict(list)
            self.reply_counts: dict[str, int] = defaultdict(int)  # made by the campaign
            self.index: dict[str, dict[str, Any]] = {}
            self._cache: dict[Any, Any] = {}

    def now(self) -> datetime:
        return self._now() + self.offset

    def epoch(self) -> float:
        return self.now().timestamp()

    def cached(self, key: Any, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def invalidate(self) -> None:
        self._cache.clear()

    def take_fault(self, platform: str) -> Fault | None:
        for name in (platform, "*"):
            queue = self.faults.get(name) or []
            for fault in list(queue):
                if fault.ratio is not None:
                    if self.rng.random() < fault.ratio:
                        return fault
                    continue
                if fault.remaining is not None and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        queue.remove(fault)
                    return fault
        return None


Handler = Callable[[SandboxState, Request], Response]


def _routes() -> list[tuple[str, str, Handler]]:
    # Imported here: each platform module imports this one for Request/Response.
    from sandbox import (
        bluesky_api,
        control,
        graph_api,
        instagram_api,
        linkedin_api,
        tiktok_api,
        x_api,
        youtube_api,
    )

    return [
        ("/__sandbox__/", "control", control.handle),
        ("/xrpc/", "bluesky", bluesky_api.handle),
        ("/2/", "x", x_api.handle),
        ("/youtube/v3/", "youtube", youtube_api.handle),
        ("/token", "google-oauth", youtube_api.token_endpoint),
        ("/api/v1/", "instagram", instagram_api.handle),
        ("/explore/tags/", "instagram", instagram_api.handle),
        ("/graphql/", "instagram", instagram_api.handle),
        ("/v2/post/publish/", "tiktok", tiktok_api.handle),
        ("/v2/oauth/token", "tiktok", tiktok_api.token_endpoint),
        ("/rest/posts", "linkedin", linkedin_api.handle),
        ("/v", "graph", graph_api.handle),
    ]


def dispatch(state: SandboxState, request: Request) -> Response:
    for prefix, platform, handler in ROUTES:
        if not request.path.startswith(prefix):
            continue
        if platform != "control":
            with state.lock:
                state.requests[platform][_endpoint(request)] += 1
                fault = state.take_fault(platform)
            if fault is not None:
                injected = _inject(state, platform, fault)
                if injected is not None:
                    return injected
        with state.lock:
            response = handler(state, request)
            if platform != "control" and request.method in ("POST", "DELETE", "PUT"):
                state.writes.append(
                    {
                        "platform": platform,
                        "method": request.method,
                        "path": request.path,
                        "status": response.status,
                        "time": state.now().isoformat(),
                    }
                )
        return response
    return error(404, {"error": "not found", "path": request.path})


def _endpoint(request: Request) -> str:
    parts = [p for p in request.path.split("/") if p]
    shape = ["{id}" if any(c.isdigit() for c in p) and len(p) > 6 else p for p in parts]
    return f"{request.method} /" + "/".join(shape)


_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def _fault_body(platform: str, status: int) -> Any:
    """An injected failure, in the shape the platform itself sends."""
    title = _REASONS.get(status, "Error")
    if platform == "x":  # a problem+json body, whatever the status
        return {"title": title, "detail": title, "type": "about:blank", "status": status}
    if platform == "instagram":
        return {"message": "Please wait a few minutes before you try again.", "status": "fail"}
    if platform == "graph":
        return {
            "error": {
                "message": "An unexpected error has occurred. Please retry your request later.",
                "type": "OAuthException",
                "is_transient": True,
                "code": 2,
                "fbtrace_id": "AsandboxFault",
            }
        }
    # Google's envelope (google-errors/ in the conformance material), for YouTube and the rest
    if status == 429:
        reason, domain, state = "rateLimitExceeded", "usageLimits", "RESOURCE_EXHAUSTED"
    else:
        reason, domain, state = "backendError", "global", "UNAVAILABLE"
    message = (
        "We encountered an internal error. Please try again using truncated exponential backoff."
        if status >= 500
        else "Too Many Requests"
    )
    return {
        "error": {
            "code": status,
            "message": title if status >= 500 else message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": state,
        }
    }


def _inject(state: SandboxState, platform: str, fault: Fault) -> Response | None:
    reset = str(int(state.epoch()) + 60)
    limits = {"x-rate-limit-limit": "450", "x-rate-limit-reset": reset}
    if fault.kind == "slow":
        time.sleep(fault.delay)
        return None
    if fault.kind == "429":
        # tweepy retries forever without x-rate-limit-reset: always send it
        headers = {**limits, "x-rate-limit-remaining": "0", "retry-after": "60"}
        return error(429, _fault_body(platform, 429), headers)
    if fault.kind in ("500", "503"):
        code = int(fault.kind)
        headers = {**limits, "x-rate-limit-remaining": "449"}
        return error(code, _fault_body(platform, code), headers)
    if fault.kind == "quota":
        return error(
            403,
            {
                "error": {
                    "code": 403,
                    "message": "The request cannot be completed because you have exceeded "
                    'your <a href="/youtube/v3/getting-started#quota">quota</a>.',
                    "errors": [
                        {
                            "message": "The request cannot be completed because you have "
                            'exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
                            "domain": "youtube.quota",
                            "reason": "quotaExceeded",
                        }
                    ],
                    "status": "PERMISSION_DENIED",
                }
            },
        )
    if fault.kind == "garbled":
        # well-formed JSON of a shape no endpoint documents: what a proxy or a broken
        # deployment answers with 200 (the garbled YouTube answer)
        headers = {**limits, "x-rate-limit-remaining": "449", "content-type": "application/json"}
        return Response(200, ["not", "the", "documented", "shape"], headers)
    if fault.kind.startswith("graph-"):
        # Graph's errors as Meta sends them: HTTP 400, the cause in the body's code
        # (developers.facebook.com/docs/graph-api/guides/error-handling)
        code = int(fault.kind.removeprefix("graph-"))
        messages = {
            190: "Error validating access token: Session has expired.",
            4: "(#4) Application request limit reached",
            17: "(#17) User request limit reached",
            32: "(#32) Page request limit reached",
            613: "(#613) Calls to this api have exceeded the rate limit.",
        }
        body: dict[str, Any] = {
            "message": messages.get(code, "An unknown error has occurred."),
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AsandboxFault",
        }
        if code == 190:
            body["error_subcode"] = 463
        if code in (4, 17, 32, 613):
            body["is_transient"] = True
        return error(400, {"error": body})
    if fault.kind == "malformed":
        headers = {**limits, "x-rate-limit-remaining": "449", "content-type": "application/json"}
        return Response(200, headers=headers, raw=b'{"data": [{"id": "12", "te')
    return None


ROUTES: list[tuple[str, str, Handler]] = []


class _Handler(BaseHTTPRequestHandler):
    # headers and body go out in separate writes: without this, delayed ACKs cost 40 ms each
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            self.command,
            split.path,
            parse_qs(split.query, keep_blank_values=True),
            {k.lower(): v for k, v in self.headers.items()},
            body,
            self.server.base_url,
        )
        try:
            response = dispatch(self.server.state, request)
        except Exception as exc:  # the sandbox must answer, like a real 500
            response = error(500, {"error": {"code": 500, "message": f"sandbox: {exc!r}"}})
        payload = response.payload()
        self.send_response(response.status)
        headers = {"content-type": "application/json; charset=utf-8", **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: SandboxState
    base_url: str


class SandboxServer:
    def __init__(self, server: _Server) -> None:
        self._server = server
        self.state = server.state
        self.base_url = server.base_url
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=self._serve, daemon=True, name="sandbox")

    def _serve(self) -> None:
        # a short poll: stop() (every test's teardown) waits for the loop to notice
        self._server.serve_forever(poll_interval=0.02)

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(
    port: int = 8765, posts: int = 200, seed: int = 7, **state_options: Any
) -> SandboxServer:
    if not ROUTES:
        ROUTES.extend(_routes())
    server = _Server(("127.0.0.1", port), _Handler)
    server.state = SandboxState(posts, seed, **state_options)
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return SandboxServer(server)


def start_sandbox(
    port: int = 0, posts: int = 200, seed: int = 7, **state_options: Any
) -> SandboxServer:
    """A running sandbox in a background thread; returns once it is listening."""
    sandbox = make_server(port, posts, seed, **state_options)
    sandbox._thread.start()
    return sandbox
