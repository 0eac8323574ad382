"""TikTok: the participant's own file, pulled by TikTok (Content Posting API).

By default the video goes to the account's inbox as a draft that a person finishes in the
TikTok app: content from an app that has not passed TikTok's audit is private-only, so a
direct post is made only when the campaign says the app is audited (`mode = "direct"`),
after asking creator_info which privacy levels the account allows. PULL_FROM_URL needs the
files' domain verified in the TikTok app.

TikTok has no API to find or delete a post: a crashed call that saved no publish id, and
every takedown, are left to a person (reported, never guessed).
"""

from __future__ import annotations

from typing import Any

from config.clock import Clock
from config.errors import CredentialRejected
from platforms.tiktok import TikTokPublish
from platforms.tiktok_tokens import TokenStore
from publisher.common import POLL_DELAYS, Job, Published, Refused, Skip, Transient, render
from publisher.http import call, json_of

TITLE_LIMIT = 150


class TikTokTarget:
    name = "tiktok"

    def __init__(
        self, session: Any, settings: TikTokPublish, clock: Clock, tokens: TokenStore
    ) -> None:
        self.session, self.settings, self.clock, self.tokens = session, settings, clock, tokens
        self.root = f"{settings.base_url}/v2/post/publish"

    def _post(self, url: str, what: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One call with a live access token; a token TikTok no longer takes (expired early,
        revoked) is refreshed once and the call made again (a 401 was not acted on)."""
        for last in (False, True):
            token = self.tokens.access_token()
            try:
                response = call(
                    self.session,
                    "POST",
                    url,
                    what,
                    self.clock.now(),
                    json=payload,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except CredentialRejected:
                if last:
                    raise
                self.tokens.refresh(stale=self.tokens.current())
                continue
            return json_of(response, what)
        raise AssertionError("unreachable")

    def _file(self, job: Job) -> str:
        if not job.video_file:
            raise Skip("no video file from the participant")
        return job.video_file

    def describe(self, job: Job) -> str:
        if self.settings.mode == "inbox":
            return f"draft in the TikTok inbox from {self._file(job)} (a person posts it)"
        return f"video from {self._file(job)} ({self.settings.privacy_level}): {render(self.settings.title, job, TITLE_LIMIT)}"

    def _privacy(self) -> str:
        """creator_info first, as TikTok requires before a direct post: the level must be one
        the account offers."""
        body = self._post(f"{self.root}/creator_info/query/", "tiktok creator info", {})
        options = (body.get("data") or {}).get("privacy_level_options") or []
        if self.settings.privacy_level not in options:
            raise Refused(
                f"tiktok: the account does not offer privacy level "
                f"{self.settings.privacy_level} (it offers {', '.join(options) or 'none'})"
            )
        return self.settings.privacy_level

    def _init(self, job: Job) -> str:
        source = {"source": "PULL_FROM_URL", "video_url": self._file(job)}
        payload: dict[str, Any]
        if self.settings.mode == "inbox":
            url, payload = f"{self.root}/inbox/video/init/", {"source_info": source}
        else:
            payload = {
                "post_info": {
                    "title": render(self.settings.title, job, TITLE_LIMIT),
                    "privacy_level": self._privacy(),
                    "disable_duet": False,
                    "disable_comment": False,
                    "disable_stitch": False,
                },
                "source_info": source,
            }
            url = f"{self.root}/video/init/"
        body = self._post(url, "tiktok init", payload)
        return str(body["data"]["publish_id"])

    def _status(self, publish_id: str) -> str:
        body = self._post(f"{self.root}/status/fetch/", "tiktok status", {"publish_id": publish_id})
        return str((body.get("data") or {}).get("status", ""))

    def publish(self, job: Job) -> Published:
        publish_id = job.extra.get("publish_id")
        if not publish_id:
            publish_id = self._init(job)
            job.extra["save"](f"publish:{publish_id}")
        for delay in POLL_DELAYS:
            status = self._status(publish_id)
            if status == "PUBLISH_COMPLETE":
                return Published(f"publish:{publish_id}", None)
            if status == "SEND_TO_USER_INBOX":  # a draft: a person finishes it in the app
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
