"""Instagram reels of approved testimonies, through the Graph API's content publishing.

Meta fetches the video itself: "We cURL media used in publishing attempts so the media must
be hosted on a publicly accessible server at the time of the attempt" (developers.facebook.com
/docs/instagram-platform/content-publishing). So only the file the participant gave with the
consent form is used (YouTube forbids downloading), and only from a public HTTPS address.

Publishing counts against a moving 24-hour limit that Meta's own pages state differently (25,
50, 100): storydesk reads it from `GET /{ig-user}/content_publishing_limit` before each post
and waits when it is spent. A crash between media_publish and saving its answer must not post
twice: before anything is sent again, the account's own media (`GET /{ig-user}/media`) are
searched for the caption this testimony gets; a spent container is never published again.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from config.clock import Clock
from config.errors import TryLater
from config.fields import is_loopback
from platforms.instagram import InstagramPublish
from publisher.common import POLL_DELAYS, Job, Published, Refused, Skip, Transient, render
from publisher.graph import delete_on_graph
from publisher.http import call, json_of

CAPTION_LIMIT = 2200
OWN_MEDIA_PAGE = 50  # the account's newest media searched after a crash


def fetch_problem(url: str, graph_base_url: str) -> str | None:
    """Why Meta could not fetch `url`, or None. The sandbox's own files are on loopback, as
    the sandbox's Graph API is: for it they are public."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not host:
        return "is not an http(s) URL"
    if is_loopback(graph_base_url) and host == urlsplit(graph_base_url).hostname:
        return None
    if parts.scheme != "https":
        # Meta asks for a public server; storydesk sends a participant's video only over HTTPS
        return "is not HTTPS"
    if host == "localhost" or host.endswith((".local", ".internal", ".lan", ".localhost")):
        return "is on a private network"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if not address.is_global:
        return "is on a private network"
    return None


class InstagramTarget:
    """Reels need a video file Meta can fetch; without one the target is skipped."""

    name = "instagram"

    def __init__(self, session: Any, settings: InstagramPublish, clock: Clock) -> None:
        self.session, self.settings, self.clock = session, settings, clock
        self.root = f"{settings.base_url}/{settings.graph_version}"
        self.user = settings.ig_user_id

    def _file(self, job: Job) -> str:
        if not job.video_file:
            raise Skip("no video file from the participant (YouTube forbids downloading)")
        problem = fetch_problem(job.video_file, self.settings.base_url)
        if problem:
            raise Refused(
                f"instagram: the participant's video file {job.video_file} {problem}: Meta "
                "fetches the file itself, so it must be on a public HTTPS server; put it "
                "there, correct the consent form's video_file, then approve again"
            )
        return job.video_file

    def _caption(self, job: Job) -> str:
        return render(self.settings.caption, job, CAPTION_LIMIT)

    def describe(self, job: Job) -> str:
        return f"reel from {self._file(job)}: {self._caption(job)}"

    def _get(self, url: str, what: str, params: dict[str, Any]) -> dict[str, Any]:
        return json_of(call(self.session, "GET", url, what, self.clock.now(), params=params), what)

    def _room_to_publish(self) -> None:
        """content_publishing_limit before each post: a spent limit waits (try later)."""
        body = self._get(
            f"{self.root}/{self.user}/content_publishing_limit",
            "ig publishing limit",
            {"fields": "config,quota_usage"},
        )
        data = body.get("data") or [{}]
        entry = data[0] if isinstance(data[0], dict) else {}
        used = entry.get("quota_usage")
        total = (entry.get("config") or {}).get("quota_total")
        if isinstance(used, int) and isinstance(total, int) and used >= total:
            raise TryLater(
                f"instagram: the account has published {used} of the {total} posts Meta "
                "allows through the API in 24 hours (content_publishing_limit); the rest wait"
            )

    def _own_media(self, job: Job) -> Published | None:
        """Our reel of this testimony, if the account already has it. The evidence is the
        caption, and two testimonies can get the same one (same first name, city and words):
        a reel another publication already holds is not ours, and two unheld reels with our
        caption are for a person to tell apart, never guessed (a wrong guess would take down
        another participant's video on withdrawal)."""
        body = self._get(
            f"{self.root}/{self.user}/media",
            "ig own media",
            {"fields": "id,caption,permalink,shortcode,timestamp", "limit": OWN_MEDIA_PAGE},
        )
        caption = self._caption(job)
        ours = [
            item
            for item in body.get("data") or []
            if isinstance(item, dict)
            and item.get("caption") == caption
            and item.get("id")
            and str(item["id"]) not in job.held_elsewhere
        ]
        if len(ours) > 1:
            raise Refused(
                f"instagram: {len(ours)} reels on the account carry this testimony's caption "
                f"({', '.join(str(i.get('permalink') or i['id']) for i in ours)}) and none is "
                "held by another publication; storydesk does not guess which is this one. "
                "Delete the extra reel, then run publish again"
            )
        if ours:
            return Published(str(ours[0]["id"]), ours[0].get("permalink"))
        return None

    def _container(self, job: Job) -> str | None:
        saved = job.extra.get("container") or ""
        external = job.external_id or ""
        if not saved and external.startswith("container:"):
            saved = external.split(":", 1)[1]
        return saved or None

    def publish(self, job: Job) -> Published:
        now = self.clock.now()
        container = self._container(job)
        if container and (found := self._own_media(job)) is not None:
            return found  # published before a crash: never twice
        self._room_to_publish()
        if not container:
            created = json_of(
                call(
                    self.session,
                    "POST",
                    f"{self.root}/{self.user}/media",
                    "ig container",
                    now,
                    data={
                        "media_type": "REELS",
                        "video_url": self._file(job),
                        "caption": self._caption(job),
                        "share_to_feed": "true",
                    },
                ),
                "ig container",
            )
            container = str(created["id"])
            job.extra["container"] = container
            job.extra["save"](f"container:{container}")
        for delay in POLL_DELAYS:
            status = self._get(
                f"{self.root}/{container}", "ig status", {"fields": "status_code,status"}
            )
            code = status.get("status_code")
            if code == "FINISHED":
                break
            if code == "PUBLISHED":  # published, yet not among the account's newest media
                raise Refused(
                    f"instagram: container {container} was published but the reel is not "
                    "among the account's newest media; check the Instagram account"
                )
            if code in ("ERROR", "EXPIRED"):
                raise Refused(f"instagram: the reel container ended {code}: {status.get('status')}")
            self.clock.sleep(delay)
        else:
            raise Transient("instagram: the reel is still processing")
        published = json_of(
            call(
                self.session,
                "POST",
                f"{self.root}/{self.user}/media_publish",
                "ig publish",
                now,
                data={"creation_id": container},
            ),
            "ig publish",
        )
        return Published(str(published["id"]), None)

    def find_existing(self, job: Job) -> Published | None:
        """After a crash: our reel on the account, else None (publish goes on from a saved
        container, which it publishes only if Meta says it is not published yet)."""
        self._file(job)
        found = self._own_media(job)
        if found is not None:
            return found
        container = self._container(job)
        if container:
            job.extra["container"] = container
        return None

    def take_down(self, job: Job) -> None:
        if job.external_id and not job.external_id.startswith("container:"):
            delete_on_graph(
                self.session, self.root, job.external_id, self.user, "ig delete", self.clock
            )
