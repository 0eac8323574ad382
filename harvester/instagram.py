"""Instagram: hashtag posts through instaloader, one query per hashtag.

instaloader's NodeIterator pages newest first; its frozen state is stored with every page,
so a killed run thaws and goes on (thaw repeats the last post: upserts make that harmless).
A run stops at the first post at or before the newest one the last run saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from config.clock import Clock
from config.errors import CredentialRejected, Transient, WorkFailed
from config.retry import retry
from harvester.common import (
    HarvestedPost,
    Page,
    hashtags_in,
    mentions_in,
    try_later,
    urls_in,
)
from platforms.instagram import InstagramHarvest

PAGE = 12  # posts per GraphQL answer
# Stored (and the iterator frozen) every few answers: a transaction per 12 posts costs more
# than the posts; a kill loses at most these few answers' work, never a post.
BATCH = 4 * PAGE
T = TypeVar("T")
WAIT_AFTER_429 = 60.0  # seconds; instaloader's 429 text says "Please wait a few minutes"


class _AskedToWait(Transient):
    """A 429: worth waiting for within the run, else "try later" (not a failure)."""


def node_to_post(node: dict[str, Any]) -> HarvestedPost:
    """A GraphQL post node (as instaloader's Post wraps it) → a post (pure)."""
    captions = (node.get("edge_media_to_caption") or {}).get("edges") or []
    text = captions[0]["node"]["text"] if captions else ""
    owner = node.get("owner") or {}
    taken = node.get("taken_at_timestamp")
    return HarvestedPost(
        platform="instagram",
        native_id=str(node["id"]),
        url=f"https://www.instagram.com/p/{node.get('shortcode', '')}/",
        text=text,
        published_at=datetime.fromtimestamp(int(taken), UTC) if taken else None,
        author_id=str(owner["id"]) if owner.get("id") else None,
        author_handle=owner.get("username"),
        author_name=owner.get("full_name"),
        hashtags=hashtags_in(text),
        mentions=mentions_in(text),
        links=urls_in(text),
        media_type="video" if node.get("is_video") else "image",
        media_url=node.get("display_url"),
        duration_seconds=node.get("video_duration"),
        raw=node,
    )


def page_to_posts(page: dict[str, Any]) -> list[HarvestedPost]:
    """A GraphQL hashtag answer → posts (pure)."""
    edges = page["data"]["hashtag"]["edge_hashtag_to_media"]["edges"]
    return [node_to_post(edge["node"]) for edge in edges]


class InstagramCollector:
    platform = "instagram"

    def __init__(self, loader: Any, settings: InstagramHarvest, tag: str, clock: Clock) -> None:
        self.loader, self.settings, self.tag, self.clock = loader, settings, tag.lower(), clock
        self.query = f"#{self.tag}"

    def pages(self, position: dict[str, Any]) -> Iterator[Page]:
        import instaloader

        stop_at = int(position.get("newest_id") or 0)
        run_newest = position.get("run_newest")
        # Built directly: Hashtag.from_name would cost one more request per run.
        hashtag = instaloader.Hashtag(self.loader.context, {"name": self.tag})
        # The iterator asks for its first page as it is made: that call is guarded too.
        iterator = self._guarded(hashtag.get_posts_resumable)
        frozen = position.get("frozen")
        if frozen:
            iterator.thaw(instaloader.FrozenNodeIterator(**frozen))
        batch: list[HarvestedPost] = []
        while True:
            # A failed page fetch leaves the iterator where it was, so asking again resumes.
            post = self._guarded(lambda: next(iterator, None))
            if post is None:
                break
            harvested = self._parse(post._node)
            if int(harvested.native_id) <= stop_at:
                break
            run_newest = run_newest or harvested.native_id
            batch.append(harvested)
            if len(batch) == BATCH:
                state = iterator.freeze()._asdict()
                yield Page(
                    batch,
                    {
                        "newest_id": position.get("newest_id"),
                        "run_newest": run_newest,
                        "frozen": state,
                    },
                    BATCH // PAGE,
                )
                batch = []
        yield Page(
            batch,
            {"newest_id": position.get("newest_id"), "run_newest": run_newest, "frozen": None},
            len(batch) // PAGE + 1,
        )

    def _parse(self, node: dict[str, Any]) -> HarvestedPost:
        try:
            return node_to_post(node)
        except (KeyError, ValueError, TypeError) as exc:
            raise WorkFailed(f"instagram #{self.tag}: unexpected answer ({exc!r})") from exc

    def _guarded(self, call: Callable[[], T]) -> T:
        """One instaloader call through the one retrier (config/retry.py): server errors
        and 429s are tried again on the injected clock; a 429 that outlasts the tries
        means try later, anything else still failing is a failed run."""
        try:
            return retry(
                lambda: self._once(call),
                self.clock,
                self.settings.max_retries,
                f"instagram #{self.tag}",
                give_up=False,
            )
        except _AskedToWait as exc:
            raise try_later("instagram", "Instagram asked us to wait (429)", None) from exc
        except Transient as exc:
            raise WorkFailed(
                f"instagram #{self.tag}: still failing after "
                f"{self.settings.max_retries + 1} tries: {exc.message}"
            ) from exc

    def _once(self, call: Callable[[], T]) -> T:
        """One try, its failure sorted by who must act."""
        from instaloader.exceptions import (
            ConnectionException,
            LoginRequiredException,
            TooManyRequestsException,
        )

        try:
            return call()
        except LoginRequiredException as exc:
            raise CredentialRejected(
                "instagram: the session is not logged in; renew the "
                "session file with `instaloader --login`"
            ) from exc
        except ConnectionException as exc:
            text = str(exc)
            if "login_required" in text:
                raise CredentialRejected(
                    "instagram: Instagram answered login_required; renew "
                    "the session file with `instaloader --login`"
                ) from exc
            if (
                isinstance(exc, TooManyRequestsException)
                or isinstance(exc.__cause__, TooManyRequestsException)
                or "429" in text
                or "wait" in text.lower()
            ):
                # "Please wait a few minutes": instaloader gives no time, so a minute at least
                raise _AskedToWait(
                    "instagram: Instagram asked us to wait (429)",
                    self.clock.now() + timedelta(seconds=WAIT_AFTER_429),
                ) from exc
            raise Transient(f"instagram #{self.tag}: {text}") from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise WorkFailed(f"instagram #{self.tag}: unexpected answer ({exc!r})") from exc

    def finish(self, position: dict[str, Any]) -> dict[str, Any]:
        return {"newest_id": position.get("run_newest") or position.get("newest_id")}
