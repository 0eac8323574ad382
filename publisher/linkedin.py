"""LinkedIn: a post on the organisation's page linking the testimony (Posts API).

The commentary is LinkedIn's "little" text: reserved characters are escaped, or LinkedIn
cuts the post at the first one (learn.microsoft.com/linkedin/marketing/community-management/
shares/little-text-format). A sunset `LinkedIn-Version` gets 426: a configuration error.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from config.clock import Clock
from config.errors import ConfigError, StorydeskError
from platforms.linkedin import LinkedInPublish
from publisher.common import Job, Published, Refused, Unsure, render
from publisher.http import call, json_of

LIMIT = 3000
RESERVED = re.compile(r"[\\|{}@\[\]()<>#*_~]")
URL = re.compile(r"https?://\S+")
HASHTAG = re.compile(r"#\w+")


def little(text: str) -> str:
    """Plain text as LinkedIn's little format: reserved characters backslash-escaped, except in
    links (left whole so they still link) and in #hashtags (kept as hashtags)."""
    out, last = [], 0
    for match in re.finditer(f"{URL.pattern}|{HASHTAG.pattern}", text):
        out.append(RESERVED.sub(lambda m: "\\" + m.group(0), text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(RESERVED.sub(lambda m: "\\" + m.group(0), text[last:]))
    return "".join(out)


class LinkedInTarget:
    name = "linkedin"

    def __init__(self, session: Any, settings: LinkedInPublish, clock: Clock) -> None:
        self.session, self.settings, self.clock = session, settings, clock
        self.url = f"{settings.base_url}/rest/posts"
        self.headers = {"Linkedin-Version": settings.version, "X-Restli-Protocol-Version": "2.0.0"}

    def link(self, job: Job) -> str:
        # our key in the link finds our own post again after a crash (not its words)
        separator = "&" if "?" in job.link else "?"
        marker = urlencode({"utm_source": "storydesk", "utm_content": job.key[:12]})
        return f"{job.link}{separator}{marker}"

    def text(self, job: Job) -> str:
        return little(f"{render(self.settings.commentary, job, LIMIT - 120)} {self.link(job)}")

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        try:
            return call(self.session, method, url, what, self.clock.now(), **kwargs)
        except StorydeskError as exc:
            if "426" in exc.message:
                raise ConfigError(
                    f"publish.linkedin.version: LinkedIn no longer serves version "
                    f"{self.settings.version} (HTTP 426); set a current one (YYYYMM) from "
                    "learn.microsoft.com/linkedin/marketing/versioning"
                ) from exc
            raise

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
        response = self._call("POST", self.url, "linkedin post", json=body, headers=self.headers)
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise Unsure("linkedin: the answer named no post (no x-restli-id)")
        return Published(urn, f"https://www.linkedin.com/feed/update/{urn}/")

    def find_existing(self, job: Job) -> Published | None:
        """After a crash: the post by the URN stored for it, else the author's post carrying
        our key in its link. Never by its words: LinkedIn may have cut or changed them."""
        urn = job.external_id or ""
        if urn.startswith("urn:li:"):
            try:
                self._call(
                    "GET",
                    f"{self.url}/{quote(urn, safe='')}",
                    "linkedin post",
                    headers=self.headers,
                )
                return Published(urn, f"https://www.linkedin.com/feed/update/{urn}/")
            except Refused as exc:
                if "HTTP 404" not in exc.message:
                    raise
        response = self._call(
            "GET",
            self.url,
            "linkedin posts",
            params={"q": "author", "author": self.settings.author, "count": 100},
            headers=self.headers,
        )
        marker = f"utm_content={job.key[:12]}"
        for item in json_of(response, "linkedin posts").get("elements", []):
            if marker in str(item.get("commentary", "")):
                return Published(item["id"], f"https://www.linkedin.com/feed/update/{item['id']}/")
        return None

    def take_down(self, job: Job) -> None:
        if job.external_id:
            self._call(
                "DELETE",
                f"{self.url}/{quote(job.external_id, safe='')}",
                "linkedin delete",
                headers=self.headers,
            )
