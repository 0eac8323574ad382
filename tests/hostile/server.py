"""A deliberately broken platform server on 127.0.0.1, for proving storydesk survives one.

It answers on the real paths storydesk's clients call (X recent search, Facebook Page
tagged, YouTube search/videos/channels), so the real clients (tweepy, requests,
google-api-python-client) run against it through a campaign's `base_url`. What it does
wrong is chosen by `mode` (see MODES); it counts every request, so a test can assert that
a harvest stopped, and how soon.

Nothing here is held in memory that a mode says is huge: the 300 MB body is written from
one 1 MiB block, again and again, and stops when the client hangs up.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MODES = {
    "ok": "one good page, then the end",
    "repeated_cursor": "the same page and the same cursor, forever",
    "growing_loop": "the same posts under a new, ever longer cursor, forever",
    "endless": "new posts and a new cursor on every page, forever",
    "huge_body": "a 300 MB answer (streamed)",
    "trickle": "a good answer, one byte at a time",
    "html_200": "an HTML error page with status 200",
    "empty": "status 200 and an empty body",
    "wrong_type": "an image where JSON was asked for",
    "bad_ids": "ids that are empty, markup, path-like or of the wrong shape, beside a good one",
    "javascript_urls": "javascript: and data: URLs in permalinks, links and media",
    "echo_credentials": "a 4xx whose body repeats the request's credentials",
    "redirect_loop": "a redirect to itself, forever",
    "long_values": "a post whose every field is longer than any column, and NUL characters",
    "garbled_item": "one item without an id and one of the wrong shape, beside a good one",
}

HUGE = 300 * 1024 * 1024
BLOCK = 1024 * 1024
CREATED = "2026-01-05T10:00:00.000Z"
TAGS = "#LearningNeverStops @UNESCO"


class Hostile:
    """The server; use `serve(mode)` in a test."""

    def __init__(self, mode: str = "ok", trickle_interval: float = 0.05) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode}; known: {', '.join(MODES)}")
        self.mode = mode
        self.trickle_interval = trickle_interval
        self.hits: Counter[str] = Counter()
        # each request as received: its path and query, then its headers
        self.seen: list[str] = []
        self.bytes_sent = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"hostile": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, in every test
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> Hostile:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, path: str) -> int:
        with self._lock:
            self.hits[path] += 1
            return self.hits[path]

    @property
    def requests(self) -> int:
        return sum(self.hits.values())


@contextmanager
def serve(mode: str, trickle_interval: float = 0.05) -> Iterator[Hostile]:
    server = Hostile(mode, trickle_interval).start()
    try:
        yield server
    finally:
        server.stop()


# --- what a page holds, per mode ---------------------------------------------------------


def _page_ids(mode: str, n: int) -> tuple[list[str], str | None]:
    """The numeric ids of page `n` (1-based) and its cursor."""
    if mode == "repeated_cursor":
        return ["1001", "1002"], "SAME-CURSOR"
    if mode == "growing_loop":
        return ["1001", "1002"], "c" * n
    if mode == "endless":
        return [str(1000 + 2 * n), str(1001 + 2 * n)], f"page-{n}"
    return ["1001", "1002"], None


BAD_IDS = ["", "<script>alert(1)</script>", "../../../etc/passwd", "12abc", "9" * 80]


def _tweet(tweet_id: str, text: str | None = None, url: str | None = None) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "id": tweet_id,
        "text": text or f"My testimony {tweet_id} {TAGS}",
        "author_id": "42",
        "created_at": CREATED,
        "entities": {
            "hashtags": [{"tag": "LearningNeverStops"}],
            "mentions": [{"username": "UNESCO"}],
        },
    }
    if url is not None:
        tweet["entities"]["urls"] = [{"url": url, "expanded_url": url}]
    return tweet


def x_answer(mode: str, n: int) -> dict[str, Any]:
    ids, cursor = _page_ids(mode, n)
    tweets = [_tweet(i) for i in ids]
    if mode == "bad_ids":
        tweets = [_tweet(i) for i in BAD_IDS] + [_tweet("1003")]
    if mode == "javascript_urls":
        tweets = [_tweet("1001", url="javascript:alert(document.cookie)"), _tweet("1003")]
    if mode == "garbled_item":
        tweets = [{"text": "no id"}, {**_tweet("1002"), "created_at": "yesterday"}, _tweet("1003")]
    if mode == "long_values":
        tweets = [
            _tweet("1001", text=f"My\x00 testimony {TAGS}\x00"),
            _tweet("1002", text="x" * 70_000),
            _tweet("1003"),
        ]
        tweets[1]["author_id"] = "4" * 300
    meta: dict[str, Any] = {
        "result_count": len(tweets),
        "newest_id": max((t.get("id", "") for t in tweets), key=lambda i: (len(i), i)),
        "oldest_id": min((t.get("id", "") for t in tweets), key=lambda i: (len(i), i)),
    }
    if cursor:
        meta["next_token"] = cursor
    users = [{"id": "42", "username": "maria", "name": "Maria"}]
    if mode == "long_values":
        users.append({"id": "4" * 300, "username": "u" * 500, "name": "n" * 5000})
    return {"data": tweets, "includes": {"users": users}, "meta": meta}


def _fb_post(post_id: str, permalink: str | None = None) -> dict[str, Any]:
    return {
        "id": post_id,
        "message": f"My testimony {post_id} {TAGS}",
        "created_time": "2026-01-05T10:00:00+0000",
        "permalink_url": permalink or f"https://www.facebook.com/100/posts/{post_id}",
        "from": {"id": "42", "name": "Maria"},
    }


def facebook_answer(mode: str, n: int, base_url: str, path: str) -> dict[str, Any]:
    ids, cursor = _page_ids(mode, n)
    posts = [_fb_post(f"100_{i}") for i in ids]
    if mode == "bad_ids":
        posts = [_fb_post(i) for i in BAD_IDS] + [_fb_post("100_1003")]
    if mode == "javascript_urls":
        posts = [
            _fb_post("100_1001", "javascript:alert(document.cookie)"),
            _fb_post("100_1002", "data:text/html,<script>alert(1)</script>"),
            _fb_post("100_1003"),
        ]
    if mode == "garbled_item":
        posts = [
            {"message": "no id"},
            {**_fb_post("100_1002"), "created_time": "yesterday"},
            _fb_post("100_1003"),
        ]
    if mode == "long_values":
        posts = [_fb_post("100_1001"), _fb_post("100_1002"), _fb_post("100_1003")]
        posts[0]["message"] = f"My\x00 testimony {TAGS}\x00"
        posts[1]["message"] = "m" * 70_000
        posts[1]["from"] = {"id": "4" * 300, "name": "n" * 5000}
    body: dict[str, Any] = {"data": posts}
    if cursor:
        body["paging"] = {
            "cursors": {"before": "B", "after": cursor},
            "next": f"{base_url}{path}?after={cursor}",
        }
    return body


def _video_id(number: str) -> str:
    return f"vid{number:0>8}"[-11:].replace("/", "_")


def youtube_search(mode: str, n: int) -> dict[str, Any]:
    ids, cursor = _page_ids(mode, n)
    videos = [_video_id(i) for i in ids]
    if mode == "bad_ids":
        videos = [*BAD_IDS, _video_id("1003")]
    body: dict[str, Any] = {
        "items": [
            {"id": {"kind": "youtube#video", "videoId": v}, "snippet": {"publishedAt": CREATED}}
            for v in videos
        ]
    }
    if cursor:
        body["nextPageToken"] = cursor
    return body


def youtube_videos(mode: str, ids: list[str]) -> dict[str, Any]:
    items = []
    for video in ids:
        item: dict[str, Any] = {
            "id": video,
            "snippet": {
                "publishedAt": CREATED,
                "channelId": "UC" + "a" * 22,
                "title": f"Testimony {video}",
                "description": f"My testimony {TAGS}",
                "channelTitle": "Maria",
                "thumbnails": {"default": {"url": f"https://i.ytimg.com/vi/{video}/default.jpg"}},
            },
            "contentDetails": {"duration": "PT45S"},
        }
        if mode == "javascript_urls" and video.endswith("1001"):
            item["snippet"]["thumbnails"]["default"]["url"] = "javascript:alert(1)"
        if mode == "garbled_item" and video.endswith("1001"):
            item["snippet"] = "not an object"
        items.append(item)
    return {"items": items}


# --- the handler ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    hostile: Hostile
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        return None

    def do_GET(self) -> None:  # noqa: N802 - the base's name
        self._answer()

    def do_POST(self) -> None:  # noqa: N802 - the base's name
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, BLOCK))
        self._answer()

    def _answer(self) -> None:
        hostile = self.hostile
        parts = urlsplit(self.path)
        n = hostile.count(parts.path)
        hostile.seen.append(f"{self.path} {dict(self.headers.items())}")
        mode = hostile.mode
        query = parse_qs(parts.query)
        if mode == "redirect_loop":
            self._send(302, b"", "text/plain", {"Location": self.path})
            return
        if mode == "echo_credentials":
            echoed = {
                "error": {
                    "message": "Invalid OAuth access token: "
                    + self.headers.get("Authorization", "")
                    + " key="
                    + ",".join(query.get("key", [])),
                    "code": 100,
                    "type": "OAuthException",
                },
                "title": "Invalid Request " + self.headers.get("Authorization", ""),
                "detail": "echo " + self.headers.get("Authorization", ""),
            }
            self._json(400, echoed)
            return
        if mode == "html_200":
            self._send(200, b"<html><body><h1>Service Unavailable</h1></body></html>", "text/html")
            return
        if mode == "empty":
            self._send(200, b"", "application/json")
            return
        if mode == "wrong_type":
            self._send(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "image/png")
            return
        if mode == "huge_body":
            self._huge()
            return
        body = self._route(parts.path, n, query)
        if body is None:
            self._json(404, {"error": {"message": f"no route {parts.path}"}})
            return
        if mode == "trickle":
            self._trickle(json.dumps(body).encode())
            return
        self._json(200, body)

    def _route(self, path: str, n: int, query: dict[str, list[str]]) -> dict[str, Any] | None:
        mode = self.hostile.mode
        if path == "/2/tweets/search/recent":
            return x_answer(mode, n)
        if path.endswith("/tagged"):
            return facebook_answer(mode, n, self.hostile.base_url, path)
        if path == "/youtube/v3/search":
            return youtube_search(mode, n)
        if path == "/youtube/v3/videos":
            ids = [i for value in query.get("id", []) for i in value.split(",")]
            return youtube_videos(mode, ids)
        if path == "/youtube/v3/channels":
            return {"items": []}
        return None

    def _send(
        self, status: int, payload: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=UTF-8")

    def _huge(self) -> None:
        head = b'{"data":[{"id":"1001","text":"'
        tail = b'"}],"meta":{"result_count":1}}'
        # no Content-Length: the size shows only as the bytes arrive (the body ends when the
        # connection closes)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        block = b"a" * BLOCK
        try:
            self.wfile.write(head)
            sent = len(head)
            while sent < HUGE - len(tail) and not self.hostile.stopping.is_set():
                chunk = block[: min(BLOCK, HUGE - len(tail) - sent)]
                self.wfile.write(chunk)
                sent += len(chunk)
                self.hostile.bytes_sent = sent
            self.wfile.write(tail)
        except OSError:
            return  # the client hung up: what it should do

    def _trickle(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.flush()
            for i in range(len(payload)):
                if self.hostile.stopping.wait(self.hostile.trickle_interval):
                    return
                self.wfile.write(payload[i : i + 1])
                self.wfile.flush()
                self.hostile.bytes_sent = i + 1
        except OSError:
            return
