"""Meta Graph targets: a Facebook Page post (Instagram reels: publisher/instagram.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from config.clock import Clock
from config.errors import CredentialRejected, Gone, StorydeskError, TryLater
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


def delete_on_graph(
    session: Any, root: str, object_id: str, account_id: str, what: str, clock: Clock
) -> None:
    """DELETE a Page post or a reel. Graph answers 100/33 ("does not exist, cannot be loaded
    due to missing permissions") for a post already deleted and for a token that lost its
    rights to the Page alike (github.com/jstolpe/blog_code/issues/4): "already gone" is
    believed only when the same token still loads the account; otherwise the reshare may
    still be up, and the takedown stays due until a person renews the token."""
    try:
        call(session, "DELETE", f"{root}/{object_id}", what, clock.now())
    except Gone:
        try:
            call(
                session,
                "GET",
                f"{root}/{account_id}",
                f"{what}: checking the token still reaches {account_id}",
                clock.now(),
                params={"fields": "id"},
            )
        except TryLater:
            raise
        except StorydeskError as exc:
            raise CredentialRejected(
                f"{what}: Graph says {object_id} is not there, and the token cannot load "
                f"the account {account_id} either ({exc.message}): the token may have lost "
                "its rights, so the reshare may still be up; renew the token, then run "
                "publish again"
            ) from None
        raise


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
            delete_on_graph(
                self.session,
                self.root,
                job.external_id,
                self.settings.page_id,
                "fb delete",
                self.clock,
            )
