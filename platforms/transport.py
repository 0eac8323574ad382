"""Every platform call goes through here: where it goes, and how long and how much it may take.

Where: tweepy and instaloader have no base-URL option. A requests transport adapter that
rewrites scheme and host (keeping path, query, headers, auth and cookies) sends their calls
wherever the campaign file says: the real platform by default, the sandbox in tests and demos.
It is mounted on the sessions storydesk builds or is handed (route_session), never patched
into requests: a session opened anywhere else in the process goes where it asked.

How much: one HTTP policy (`HttpPolicy`, from the campaign file) for every platform call,
whichever library makes it. requests sessions (Graph, LinkedIn, TikTok, and the sessions
tweepy and instaloader build) get a `PolicyAdapter`; google-api-python-client gets
`PolicyHttp`, httplib2's interface over such a session. The policy bounds
- connecting and each read (timeouts),
- the whole exchange (a deadline: a server that trickles one byte a second is cut off when
  it is spent, not when it finishes; a watchdog shuts the socket, wherever the read is),
- the size of an answer (checked against Content-Length, then counted as it arrives, after
  decompression, so neither a 300 MB body nor a zip bomb is ever held),
- redirects.
Retrying is not done here: the one retrier (config.retry) decides what is worth another
try; a broken policy is not (`PolicyBroken`: the run fails, saying which bound was hit).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from config.errors import WorkFailed

CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpPolicy:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 120.0
    max_bytes: int = 32 * 1024 * 1024
    max_redirects: int = 5
    # what the campaign file calls these, for messages a person can act on
    section: str = "platforms.*"

    @classmethod
    def of(cls, settings: Any, section: str) -> HttpPolicy:
        """The policy a [platforms.NAME] or [publish.NAME] section asks for."""
        read = float(getattr(settings, "timeout_seconds", cls.read_timeout))
        return cls(
            connect_timeout=min(float(getattr(settings, "connect_timeout_seconds", 10.0)), read),
            read_timeout=read,
            deadline=float(getattr(settings, "deadline_seconds", cls.deadline)),
            max_bytes=int(getattr(settings, "max_response_mb", 32) * 1024 * 1024),
            section=section,
        )


class PolicyBroken(WorkFailed):
    """An answer broke the HTTP policy (too slow, too large): not worth retrying now."""


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MB" if count >= 1024 * 1024 else f"{count} bytes"


# --- the deadline: a watchdog per request, which shuts the socket when time is up ---------

_current = threading.local()


class _Watch:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._connection: Any = None
        self._lock = threading.Lock()

    def __enter__(self) -> _Watch:
        _current.watch = self
        _WATCHDOG.add(self, time.monotonic() + self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        _WATCHDOG.remove(self)
        _current.watch = None

    def attach(self, connection: Any) -> None:
        with self._lock:
            self._connection = connection
            if self.fired:
                _shut(connection)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._connection is not None:
                _shut(self._connection)


class _Watchdog:
    """One thread for every deadline of the process (not a timer thread per request)."""

    def __init__(self) -> None:
        self._due: dict[_Watch, float] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, watch: _Watch, at: float) -> None:
        with self._wake:
            self._due[watch] = at
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="storydesk-http-deadlines", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def remove(self, watch: _Watch) -> None:
        with self._wake:
            self._due.pop(watch, None)

    def _run(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                late = [w for w, at in self._due.items() if at <= now]
                for watch in late:
                    del self._due[watch]
                nearest = min(self._due.values(), default=now + 60)
                if not late:
                    self._wake.wait(max(nearest - now, 0.01))
                    continue
            for watch in late:
                watch.fire()


_WATCHDOG = _Watchdog()


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        # the plain socket's shutdown, also for TLS: it wakes a read blocked in recv
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedMixin:
    def _attach(self) -> None:
        watch = getattr(_current, "watch", None)
        if watch is not None:
            watch.attach(self)

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._attach()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._attach()
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        self._attach()
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_WatchedMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedMixin, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def rewrite_url(url: str, base_url: str) -> str:
    """https://api.twitter.com/2/x?y -> {base_url}/2/x?y (a base path is kept as a prefix)."""
    target = urlsplit(base_url)
    original = urlsplit(url)
    path = target.path.rstrip("/") + original.path
    return urlunsplit((target.scheme, target.netloc, path, original.query, original.fragment))


def is_identity(original_origin: str, base_url: str) -> bool:
    return original_origin.rstrip("/") == base_url.rstrip("/")


class PolicyAdapter(HTTPAdapter):
    """An HTTPAdapter that holds every exchange to the policy (and, given a base URL, sends
    it there instead of to the host the client had in mind)."""

    def __init__(self, policy: HttpPolicy | None = None, base_url: str | None = None) -> None:
        super().__init__(max_retries=0)  # retrying is the retrier's, not the transport's
        self.policy = policy or HttpPolicy()
        self.base_url = base_url.rstrip("/") if base_url else None

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # type: ignore[attr-defined]
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }

    def _timeouts(self, asked: Any) -> tuple[float, float]:
        policy = self.policy
        if isinstance(asked, tuple):
            connect, read = asked
        else:
            connect = read = asked
        connect = min(float(connect), policy.connect_timeout) if connect else policy.connect_timeout
        read = min(float(read), policy.read_timeout) if read else policy.read_timeout
        return connect, read

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        assert request.url is not None
        if self.base_url:
            request.url = rewrite_url(request.url, self.base_url)
        policy = self.policy
        where = f"{request.method} {_where(request.url)}"
        started = time.monotonic()
        with _Watch(policy.deadline) as watch:
            try:
                response = super().send(
                    request,
                    stream=True,
                    timeout=self._timeouts(timeout),
                    verify=verify,
                    cert=cert,
                    proxies=proxies,
                )
                if not stream:
                    self._read(response, where)
            except PolicyBroken:
                raise
            except Exception as exc:
                if watch.fired:
                    raise self._late(where, started) from exc
                raise
            if watch.fired:
                raise self._late(where, started)
        return response

    def _late(self, where: str, started: float) -> PolicyBroken:
        return PolicyBroken(
            f"{where}: no complete answer within {self.policy.deadline:g} s "
            f"({self.policy.section}.deadline_seconds; {time.monotonic() - started:.1f} s spent)"
        )

    def _read(self, response: requests.Response, where: str) -> None:
        """The body, read here in chunks: counted against the cap as it arrives."""
        limit = self.policy.max_bytes
        too_large = PolicyBroken(
            f"{where}: the answer is larger than {_size(limit)} "
            f"({self.policy.section}.max_response_mb): not read"
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise too_large
        body = bytearray()
        try:
            for chunk in response.raw.stream(CHUNK, decode_content=True):
                body += chunk
                if len(body) > limit:
                    response.close()
                    raise too_large
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError) as exc:
            response.close()
            raise requests.exceptions.ConnectionError(exc, request=response.request) from exc
        except urllib3.exceptions.DecodeError as exc:
            response.close()
            raise requests.exceptions.ContentDecodingError(exc) from exc
        response._content = bytes(body)
        response._content_consumed = True  # type: ignore[attr-defined]
        response.raw.release_conn()


class RewriteAdapter(PolicyAdapter):
    """A PolicyAdapter that sends every request it handles to `base_url`."""

    def __init__(self, base_url: str, policy: HttpPolicy | None = None) -> None:
        super().__init__(policy, base_url)


def apply_policy(session: requests.Session, policy: HttpPolicy) -> requests.Session:
    """Hold every request of `session` to `policy` (keeping any rewrite mounted before)."""
    for prefix, adapter in list(session.adapters.items()):
        base_url = getattr(adapter, "base_url", None)
        session.mount(prefix, PolicyAdapter(policy, base_url))
    session.max_redirects = policy.max_redirects
    return session


def policy_session(policy: HttpPolicy) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "storydesk"
    return apply_policy(session, policy)


def mount_rewrite(
    session: requests.Session, origin: str, base_url: str, policy: HttpPolicy | None = None
) -> None:
    """Route `origin` (e.g. https://api.twitter.com) of one session to `base_url`."""
    if not is_identity(origin, base_url):
        session.mount(origin.rstrip("/") + "/", RewriteAdapter(base_url, policy))


class PolicyHttp:
    """httplib2.Http's interface (what google-api-python-client calls) over a requests
    session held to the policy: YouTube gets the same bounds as every other platform."""

    def __init__(self, policy: HttpPolicy) -> None:
        self.session = policy_session(policy)
        self.policy = policy
        self.redirect_codes = frozenset({300, 301, 302, 303, 307})  # googleapiclient reads it

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
        **_: Any,
    ) -> tuple[Any, bytes]:
        import httplib2

        response = self.session.request(
            method, uri, data=body, headers=dict(headers or {}), allow_redirects=True
        )
        info = {name.lower(): value for name, value in response.headers.items()}
        info["status"] = str(response.status_code)
        resp = httplib2.Response(info)
        resp.reason = response.reason
        return resp, response.content

    def close(self) -> None:
        self.session.close()


def route_session(
    session: requests.Session, mapping: Mapping[str, str], policy: HttpPolicy | None = None
) -> requests.Session:
    """Hold `session` to `policy` and send its calls for each host of `mapping` (host ->
    base_url) there. This session only: nothing is patched, so a session opened anywhere
    else in the process goes where it asked (a client that opens sessions of its own has
    each one routed by whoever builds it: platforms.instagram.route_instaloader)."""
    if policy is not None:
        apply_policy(session, policy)
    for host, base_url in mapping.items():
        target = None if is_identity(f"https://{host}", base_url) else base_url
        for scheme in ("https", "http"):
            session.mount(f"{scheme}://{host}/", PolicyAdapter(policy, target))
    return session


def copy_routes(source: requests.Session, copy: requests.Session) -> requests.Session:
    """Give `copy` fresh adapters like the PolicyAdapters of `source` (same policy, same
    base URL): a copy of a routed session is routed, a copy of a bare one stays bare."""
    for prefix, adapter in source.adapters.items():
        if isinstance(adapter, PolicyAdapter):
            copy.mount(prefix, PolicyAdapter(adapter.policy, adapter.base_url))
    copy.max_redirects = source.max_redirects
    return copy
