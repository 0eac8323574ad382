"""What every target shares: the job it is given, its small interface, text templates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from config.errors import Gone, Refused, StorydeskError, Transient

__all__ = ["Gone", "Refused", "Transient"]  # publisher modules take them from here

URL = re.compile(r"https?://\S+")
TAG = re.compile(r"(?<![\w&])[#@]\w+")


@dataclass
class Copy:
    platform: str
    native_id: str
    url: str
    text: str
    author: str | None
    source_state: str = "available"


@dataclass
class Job:
    publication_id: int
    testimony_id: int
    target: str
    key: str
    copies: list[Copy]
    first_name: str
    city: str
    country: str
    role: str | None
    question: str | None
    video_file: str | None
    hashtags: list[str]
    external_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # ids other publications to this target already hold: a post found by its text after a
    # crash is ours only if no other publication holds it (two captions can read the same)
    held_elsewhere: frozenset[str] = frozenset()

    def copy_on(self, platform: str) -> Copy | None:
        return next((c for c in self.copies if c.platform == platform), None)

    @property
    def link(self) -> str:
        preferred = self.copy_on("youtube") or self.copies[0]
        return preferred.url


@dataclass
class Published:
    external_id: str
    external_url: str | None = None


class Skip(StorydeskError):
    """This target cannot carry this testimony (no copy on the platform, no video file...)."""


class Unsure(Transient):
    """The call went out and the answer does not say what the platform did (no id, a shape
    it does not document): like a crash after the call, the next cycle asks the platform
    (find_existing) before anything is sent again."""


class Target(Protocol):
    name: str

    def describe(self, job: Job) -> str:
        """What would be posted (for --dry-run)."""
        ...

    def publish(self, job: Job) -> Published: ...

    def find_existing(self, job: Job) -> Published | None:
        """After a crash: is our post already there? Asked, never re-posted blindly."""
        ...

    def take_down(self, job: Job) -> None: ...


def excerpt(text: str, limit: int) -> str:
    words = " ".join(TAG.sub(" ", URL.sub(" ", text)).split())
    if len(words) <= limit:
        return words
    return words[: max(limit - 1, 0)].rsplit(" ", 1)[0] + "…"


def render(template: str, job: Job, limit: int, url_weight: int | None = None) -> str:
    """Fill a campaign template; the excerpt shrinks until the whole text fits `limit`."""
    hashtags = " ".join(f"#{h}" for h in job.hashtags)
    fields = {
        "first_name": job.first_name,
        "city": job.city or "",
        "country": job.country or "",
        "hashtags": hashtags,
        "url": job.link,
        "role": job.role or "",
        "question": job.question or "",
    }
    source = job.copies[0].text if job.copies else ""
    for size in range(200, -1, -10):
        text = template.format(**fields, excerpt=excerpt(source, size)).strip()
        weighted = len(URL.sub("x" * url_weight, text)) if url_weight else len(text)
        if weighted <= limit:
            return text
    raise Refused(f"the template cannot fit {limit} characters even without an excerpt")


# Waits between status polls of an upload being processed: quick at first (short videos are
# often ready at once), then every 5 s, about two minutes in all before "try again later".
POLL_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 3.0) + (5.0,) * 24


def first_name_of(full_name: str | None) -> str:
    """The first name as people write it: forms typed in capitals ("LUCÍA") are not shouted
    back in a caption; mixed case ("McKenzie", "Jean-Luc") is kept as given."""
    first = ((full_name or "").split() or [""])[0]
    return first.title() if first.isupper() or first.islower() else first
