"""TikTok: the participant's own file, pulled by TikTok (Content Posting API).

TikTok has no API to find or delete a post: a crashed call that saved no publish id, and
every takedown, are left to a person (reported, never guessed).
"""

from __future__ import annotations

from typing import Any

from config.clock import Clock
from platforms.tiktok import TikTokPublish
from publisher.common import POLL_DELAYS, Job, Published, Refused, Skip, Transient, render
from publisher.http import call, json_of

TITLE_LIMIT = 150


class TikTokTarget:
    name = "tiktok"

    def __init__(self, session: Any, settings: TikTokPublish, clock: Clock) -> None:
        self.session, self.settings, self.clock = session, settings, clock
        self.root = f"{settings.base_url}/v2/post/publish"

    def _file(self, job: Job) -> str:
        if not job.video_file:
            raise Skip("no video file from the participant")
        return job.video_file

    def describe(self, job: Job) -> str:
        return f"video from {self._file(job)} ({self.settings.privacy_level}): {render(self.settings.title, job, TITLE_LIMIT)}"

    def _status(self, publish_id: str) -> str:
        body = json_of(
            call(
                self.session,
                "POST",
                f"{self.root}/status/fetch/",
                "tiktok status",
                self.clock.now(),
                json={"publish_id": publish_id},
            ),
            "tiktok status",
        )
        return str((body.get("data") or {}).get("status", ""))

    def publish(self, job: Job) -> Published:
        publish_id = job.extra.get("publish_id")
        if not publish_id:
            body = json_of(
                call(
                    self.session,
                    "POST",
                    f"{self.root}/video/init/",
                    "tiktok init",
                    self.clock.now(),
                    json={
                        "post_info": {
                            "title": render(self.settings.title, job, TITLE_LIMIT),
                            "privacy_level": self.settings.privacy_level,
                            "disable_duet": False,
                            "disable_comment": False,
                            "disable_stitch": False,
                        },
                        "source_info": {"source": "PULL_FROM_URL", "video_url": self._file(job)},
                    },
                ),
                "tiktok init",
            )
            publish_id = str(body["data"]["publish_id"])
            job.extra["save"](f"publish:{publish_id}")
        for delay in POLL_DELAYS:
            status = self._status(publish_id)
            if status == "PUBLISH_COMPLETE":
                return Published(f"publish:{publish_id}", None)
            if status == "FAILED":
                raise Refused("tiktok: TikTok could not publish the video")
            self.clock.sleep(delay)
        raise Transient("tiktok: still processing")

    def find_existing(self, job: Job) -> Published | None:
        self._file(job)  # without a file nothing was ever sent: Skip, not a person's job
        external = job.external_id or ""
        if external.startswith("publish:"):
            job.extra["publish_id"] = external.split(":", 1)[1]
            return None  # publish() goes on polling the saved publish id
        raise Refused(
            "tiktok: a post may have started before a crash and TikTok cannot be "
            "asked; check the TikTok account, then requeue by approving again"
        )

    def take_down(self, job: Job) -> None:
        # Which video, so the person with the phone can find it: the testimony, whose it
        # is, and the reshare's URL (or TikTok's id for it) on the campaign's account.
        author = next((c.author.lstrip("@") for c in job.copies if c.author), None)
        external = job.external_id or ""
        where = job.extra.get("external_url") or (
            f"TikTok publish id {external.removeprefix('publish:')}"
            if external
            else "its URL is unknown"
        )
        raise Refused(
            f"tiktok has no delete API: delete the video in the TikTok app (testimony "
            f"{job.testimony_id}" + (f" by @{author}" if author else "") + f", {where}), "
            f"then run `storydesk taken-down {job.publication_id}`"
        )
