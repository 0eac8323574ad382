"""Meta Graph targets: a Facebook Page post (Instagram reels: publisher/instagram.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from config.clock import Clock
from platforms.facebook import FacebookPublish
from publisher.common import Job, Published, render
from publisher.http import call, json_of

# what crash recovery reads of the Page's posts (every field must exist on the Post node)
RECOVERY_FIELDS = "id,attachments{url,unshimmed_url}"


def _attached_links(item: dict[str, Any]) -> list[str]:
    """The links of a Page post's attachments: the link as posted (`unshimmed_url`), and
    Facebook's l.facebook.com redirect to it (`url`) when that is all there is."""
    attachments = (item.get("attachments") or {}).get("data") or []
    return [
        str(a.get("unshimmed_url") or a.get("url") or "")
        for a in attachments
        if isinstance(a, dict)
    ]


class FacebookTarget:
    name = "facebook"

    def __init__(self, session: Any, settings: FacebookPublish, clock: Clock) -> None:
        self.session, self.settings, self.clock = session, settings, clock
        self.root = f"{settings.base_url}/{settings.graph_version}"

    def link(self, job: Job) -> str:
        # Our key in the link lets a crashed run find its own post again on the Page.
        separator = "&" if "?" in job.link else "?"
        return f"{job.link}{separator}{urlencode({'utm_source': 'storydesk', 'utm_content': job.key[:12]})}"

    def describe(self, job: Job) -> str:
        return f"Page post: {render(self.settings.message, job, 5000)} {self.link(job)}"

    def publish(self, job: Job) -> Published:
        body = json_of(
            call(
                self.session,
                "POST",
                f"{self.root}/{self.settings.page_id}/feed",
                "fb post",
                self.clock.now(),
                data={"message": render(self.settings.message, job, 5000), "link": self.link(job)},
            ),
            "fb post",
        )
        post_id = str(body["id"])
        return Published(post_id, f"https://www.facebook.com/{post_id}")

    def find_existing(self, job: Job) -> Published | None:
        body = json_of(
            call(
                self.session,
                "GET",
                f"{self.root}/{self.settings.page_id}/feed",
                "fb feed",
                self.clock.now(),
                # a post's link is read from its attachment: `link` on /feed is deprecated
                # since v3.3 (developers.facebook.com/docs/graph-api/reference/post,
                # Limitations) and refused with code 12
                params={"fields": RECOVERY_FIELDS, "limit": 100},
            ),
            "fb feed",
        )
        for item in body.get("data", []):
            if any(job.key[:12] in link for link in _attached_links(item)):
                return Published(str(item["id"]), f"https://www.facebook.com/{item['id']}")
        return None

    def take_down(self, job: Job) -> None:
        if job.external_id:
            call(
                self.session,
                "DELETE",
                f"{self.root}/{job.external_id}",
                "fb delete",
                self.clock.now(),
            )
