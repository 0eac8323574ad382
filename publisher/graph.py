"""Meta Graph targets: an Instagram reel from the participant's own file, a Facebook Page post."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from config.clock import Clock
from platforms.facebook import FacebookPublish
from platforms.instagram import InstagramPublish
from publisher.common import POLL_DELAYS, Job, Published, Refused, Skip, Transient, render
from publisher.http import call, json_of

CAPTION_LIMIT = 2200


class InstagramTarget:
    """Reels need a video file Meta can fetch: YouTube forbids downloading, so only the file
    the participant gave with the consent form is used; without one the target is skipped."""

    name = "instagram"

    def __init__(self, session: Any, settings: InstagramPublish, clock: Clock) -> None:
        self.session, self.settings, self.clock = session, settings, clock
        self.root = f"{settings.base_url}/{settings.graph_version}"

    def _file(self, job: Job) -> str:
        if not job.video_file:
            raise Skip("no video file from the participant (YouTube forbids downloading)")
        return job.video_file

    def describe(self, job: Job) -> str:
        return f"reel from {self._file(job)}: {render(self.settings.caption, job, CAPTION_LIMIT)}"

    def publish(self, job: Job) -> Published:
        now = self.clock.now()
        user = self.settings.ig_user_id
        container = job.extra.get("container")
        if not container:
            created = json_of(
                call(
                    self.session,
                    "POST",
                    f"{self.root}/{user}/media",
                    "ig container",
                    now,
                    data={
                        "media_type": "REELS",
                        "video_url": self._file(job),
                        "caption": render(self.settings.caption, job, CAPTION_LIMIT),
                        "share_to_feed": "true",
                    },
                ),
                "ig container",
            )
            container = str(created["id"])
            job.extra["container"] = container
            job.extra["save"](f"container:{container}")
        for delay in POLL_DELAYS:
            status = json_of(
                call(
                    self.session,
                    "GET",
                    f"{self.root}/{container}",
                    "ig status",
                    now,
                    params={"fields": "status_code,status"},
                ),
                "ig status",
            )
            code = status.get("status_code")
            if code in ("FINISHED", "PUBLISHED"):
                break
            if code in ("ERROR", "EXPIRED"):
                raise Refused(f"instagram: the reel container ended {code}: {status.get('status')}")
            self.clock.sleep(delay)
        else:
            raise Transient("instagram: the reel is still processing")
        published = json_of(
            call(
                self.session,
                "POST",
                f"{self.root}/{user}/media_publish",
                "ig publish",
                now,
                data={"creation_id": container},
            ),
            "ig publish",
        )
        return Published(str(published["id"]), None)

    def find_existing(self, job: Job) -> Published | None:
        external = job.external_id or ""
        if external.startswith("container:"):
            job.extra["container"] = external.split(":", 1)[1]
            return None  # publish() goes on from the container: media_publish is idempotent
        return None

    def take_down(self, job: Job) -> None:
        if job.external_id and not job.external_id.startswith("container:"):
            call(
                self.session,
                "DELETE",
                f"{self.root}/{job.external_id}",
                "ig delete",
                self.clock.now(),
            )


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
                params={"fields": "id,link", "limit": 100},
            ),
            "fb feed",
        )
        for item in body.get("data", []):
            if job.key[:12] in str(item.get("link", "")):
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
