"""LinkedIn: a post on the organisation's page linking the testimony (Posts API)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from config.clock import Clock
from platforms.linkedin import LinkedInPublish
from publisher.common import Job, Published, Unsure, render
from publisher.http import call, json_of

LIMIT = 3000


class LinkedInTarget:
    name = "linkedin"

    def __init__(self, session: Any, settings: LinkedInPublish, clock: Clock) -> None:
        self.session, self.settings, self.clock = session, settings, clock
        self.url = f"{settings.base_url}/rest/posts"
        self.headers = {"Linkedin-Version": settings.version, "X-Restli-Protocol-Version": "2.0.0"}

    def text(self, job: Job) -> str:
        return f"{render(self.settings.commentary, job, LIMIT - 30)} {job.link}"

    def describe(self, job: Job) -> str:
        return f"post as {self.settings.author}: {self.text(job)}"

    def publish(self, job: Job) -> Published:
        body = {
            "author": self.settings.author,
            "commentary": self.text(job),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        response = call(
            self.session,
            "POST",
            self.url,
            "linkedin post",
            self.clock.now(),
            json=body,
            headers=self.headers,
        )
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise Unsure("linkedin: the answer named no post (no x-restli-id)")
        return Published(urn, f"https://www.linkedin.com/feed/update/{urn}/")

    def find_existing(self, job: Job) -> Published | None:
        response = call(
            self.session,
            "GET",
            self.url,
            "linkedin posts",
            self.clock.now(),
            params={"q": "author", "author": self.settings.author, "count": 100},
            headers=self.headers,
        )
        for item in json_of(response, "linkedin posts").get("elements", []):
            if item.get("commentary") == self.text(job):
                return Published(item["id"], f"https://www.linkedin.com/feed/update/{item['id']}/")
        return None

    def take_down(self, job: Job) -> None:
        if job.external_id:
            call(
                self.session,
                "DELETE",
                f"{self.url}/{quote(job.external_id, safe='')}",
                "linkedin delete",
                self.clock.now(),
                headers=self.headers,
            )
