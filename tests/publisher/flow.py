"""What the publisher tests share: approving through the CLI, reading the outbox, and
sorting the sandbox's state-changing calls by the publish target they serve."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Publication
from db.session import make_engine
from tests.sandboxed import Setup

# The targets that answer at once (no upload to poll), for tests about the outbox itself.
QUICK = ("x", "youtube", "facebook", "linkedin", "gallery")


def approve_matched(setup: Setup) -> list[int]:
    """Harvest, then approve every testimony whose consent is matched; their ids."""
    harvested = setup.cli("harvest")
    assert harvested.exit_code == 0, harvested.stderr
    queue = json.loads(setup.cli("queue", "--json", "--limit", "0").stdout)
    ids = [int(item["id"]) for item in queue if item["consent"] == "matched"]
    assert ids, "the sandbox campaign has matched testimonies"
    approved = setup.cli("approve", *map(str, ids), "--as", "tester", "--json")
    answers = json.loads(approved.stdout)
    # matched, yet no copy keeps the campaign rules (too long, not a video): refused
    refused = [a for a in answers if not a["ok"]]
    assert all(
        a["message"].split(": ", 1)[1].startswith(("refused: no copy", "refused: no target"))
        for a in refused
    )
    assert approved.exit_code == (1 if refused else 0)
    return [a["id"] for a in answers if a["ok"]]


@dataclass
class Row:
    id: int
    testimony_id: int
    target: str
    state: str
    external_id: str | None
    last_error: str | None
    skip_reason: str | None


def outbox(db_url: str) -> list[Row]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        rows = session.scalars(select(Publication).order_by(Publication.id)).all()
        result = [
            Row(
                r.id,
                r.testimony_id,
                r.target,
                r.state,
                r.external_id,
                r.last_error,
                r.skip_reason,
            )
            for r in rows
        ]
    engine.dispose()
    return result


def by_state(rows: list[Row], state: str) -> Counter[str]:
    return Counter(r.target for r in rows if r.state == state)


def create_target(write: dict[str, Any]) -> str | None:
    """The publish target a successful state-changing call created a post for, if any."""
    path, platform = write["path"], write["platform"]
    if write["method"] != "POST" or write["status"] >= 300:
        return None
    if platform == "x" and (path.endswith("/retweets") or path.rstrip("/") == "/2/tweets"):
        return "x"
    if platform == "youtube" and path.endswith("/playlistItems"):
        return "youtube"
    if platform == "graph" and path.endswith("/media_publish"):
        return "instagram"
    if platform == "graph" and path.endswith("/feed"):
        return "facebook"
    if platform == "linkedin" and path.rstrip("/") == "/rest/posts":
        return "linkedin"
    if platform == "tiktok" and path.rstrip("/").endswith("/video/init"):
        return "tiktok"
    if platform == "bluesky" and path == "/xrpc/com.atproto.repo.createRecord":
        return "bluesky"  # a repost record
    return None


def delete_target(write: dict[str, Any]) -> str | None:
    """The publish target a successful DELETE took a post down from, if any (XRPC deletes
    a record with a POST procedure)."""
    if write["status"] >= 300:
        return None
    if write["platform"] == "bluesky" and write["path"] == "/xrpc/com.atproto.repo.deleteRecord":
        return "bluesky"
    if write["method"] != "DELETE":
        return None
    platform, last = write["platform"], write["path"].rstrip("/").rsplit("/", 1)[-1]
    if platform == "graph":  # Page post ids are page_post; reels are bare numbers
        return "facebook" if "_" in last else "instagram"
    return {"x": "x", "youtube": "youtube", "linkedin": "linkedin"}.get(platform)


def creates(stats: dict[str, Any]) -> Counter[str]:
    return Counter(t for w in stats["writes"] if (t := create_target(w)))


def deletes(stats: dict[str, Any]) -> Counter[str]:
    return Counter(t for w in stats["writes"] if (t := delete_target(w)))
