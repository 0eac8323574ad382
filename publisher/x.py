"""X: retweet the participant's tweet, or quote it with the campaign's template."""

from __future__ import annotations

from typing import Any

from config.clock import Clock
from platforms.base import reraise
from platforms.x import XPublish, classify
from publisher.common import Job, Published, Skip, render

LIMIT, URL_WEIGHT = 280, 23  # X counts every link as 23 characters


class XTarget:
    name = "x"

    def __init__(self, client: Any, settings: XPublish, clock: Clock) -> None:
        self.client, self.settings, self.clock = client, settings, clock
        self._me: str | None = None

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
            reraise(classify, exc, what, self.clock.now())

    def me(self) -> str:
        if self._me is None:
            answer = self._call("users/me", self.client.get_me, user_auth=True)
            self._me = str(answer["data"]["id"])
        return self._me

    def _tweet(self, job: Job) -> str:
        copy = job.copy_on("x")
        if copy is None:
            raise Skip("no copy of this testimony on X to retweet")
        return copy.native_id

    def text(self, job: Job) -> str:
        return render(self.settings.template, job, LIMIT, URL_WEIGHT)

    def describe(self, job: Job) -> str:
        tweet = self._tweet(job)
        if self.settings.mode == "retweet":
            return f"retweet {tweet}"
        return f"quote {tweet}: {self.text(job)}"

    def publish(self, job: Job) -> Published:
        tweet = self._tweet(job)
        if self.settings.mode == "retweet":
            self._call("retweet", self.client.retweet, tweet, user_auth=True)
            return Published(f"retweet:{tweet}", f"https://x.com/i/status/{tweet}")
        answer = self._call(
            "create tweet",
            self.client.create_tweet,
            text=self.text(job),
            quote_tweet_id=tweet,
            user_auth=True,
        )
        new_id = str(answer["data"]["id"])
        return Published(new_id, f"https://x.com/i/status/{new_id}")

    def find_existing(self, job: Job) -> Published | None:
        tweet = self._tweet(job)
        if self.settings.mode == "retweet":
            answer = self._call("retweeted_by", self.client.get_retweeters, tweet, user_auth=True)
            if any(str(u["id"]) == self.me() for u in answer.get("data") or []):
                return Published(f"retweet:{tweet}", f"https://x.com/i/status/{tweet}")
            return None
        text = self.text(job)
        answer = self._call(
            "user tweets", self.client.get_users_tweets, self.me(), max_results=100, user_auth=True
        )
        for item in answer.get("data") or []:
            if item.get("text") == text:
                return Published(str(item["id"]), f"https://x.com/i/status/{item['id']}")
        return None

    def take_down(self, job: Job) -> None:
        external = job.external_id or ""
        if external.startswith("retweet:"):
            self._call(
                "unretweet", self.client.unretweet, external.split(":", 1)[1], user_auth=True
            )
        elif external:
            self._call("delete tweet", self.client.delete_tweet, external, user_auth=True)
