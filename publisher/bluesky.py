"""Bluesky: repost the participant's post from the campaign account; delete the repost on
takedown. A repost is an app.bsky.feed.repost record in our repository naming the post by
uri and cid (a strong reference), so the post is looked up first: that also tells us it is
still there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from config.clock import Clock
from config.retry import retry
from platforms.base import reraise
from platforms.bluesky import classify, uri_of
from publisher.common import Job, Published, Refused, Skip

RETRIES = 2  # of a look-up that met a server error; the post itself is never retried here


class BlueskyTarget:
    name = "bluesky"

    def __init__(self, connect: Callable[[], Any], clock: Clock) -> None:
        # signing in is a call too: made on first use, not for a dry run
        self._connect, self.clock = connect, clock
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _call(self, what: str, fn: Callable[[], Any], safe_to_repeat: bool = False) -> Any:
        def call() -> Any:
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                reraise(classify, exc, what, self.clock.now())

        if not safe_to_repeat:
            return call()
        return retry(call, self.clock, RETRIES, f"bluesky {what}", give_up=False)

    def _uri(self, job: Job) -> str:
        copy = job.copy_on("bluesky")
        if copy is None:
            raise Skip("no copy of this testimony on Bluesky to repost")
        return uri_of(copy.native_id)

    def describe(self, job: Job) -> str:
        return f"repost {self._uri(job)}"

    def publish(self, job: Job) -> Published:
        uri = self._uri(job)
        copy = job.copy_on("bluesky")
        found = self._call(
            "getPosts",
            lambda: self.client.app.bsky.feed.get_posts(params={"uris": [uri]}),
            safe_to_repeat=True,
        )
        if not found.posts:
            raise Refused(f"bluesky: {uri} is no longer there to repost")
        post = found.posts[0]
        made = self._call("repost", lambda: self.client.repost(uri=post.uri, cid=post.cid))
        return Published(made.uri, copy.url if copy else None)

    def find_existing(self, job: Job) -> Published | None:
        """After a crash: is our repost of this post already in the account's repository?"""
        uri = self._uri(job)
        me = self.client.me.did if self.client.me else None
        answer = self._call(
            "listRecords",
            lambda: self.client.app.bsky.feed.repost.list(me, limit=100),
            safe_to_repeat=True,
        )
        for repost_uri, record in (answer.records or {}).items():
            if record.subject.uri == uri:
                return Published(repost_uri, None)
        return None

    def take_down(self, job: Job) -> None:
        if job.external_id:
            self._call("unrepost", lambda: self.client.unrepost(job.external_id))
