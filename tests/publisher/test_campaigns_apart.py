"""Two campaigns on one database: each campaign's forms were signed for that campaign, so
another campaign's publisher, gallery and reviewers never send, show or approve them (the
listings' side: tests/review/test_campaign_scope.py)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.clock import FakeClock
from config.errors import TryLater
from config.loader import load_campaign
from config.schema import LoadedCampaign
from db import audit, models
from db.states import PublicationState
from publisher.settle import PublishSummary, record_failure
from storydesk.ops.status import build_status
from tests.publisher.flow import approve_matched, by_state, creates, deletes, outbox
from tests.review.test_campaign_scope import NOW, STRANGER, add_testimony, leaked
from tests.sandboxed import OTHER_CAMPAIGN, Setup, campaign_text, other_campaign


def test_another_campaign_never_publishes_shows_or_approves_this_ones_testimonies(
    ready: Setup, tmp_path: Path
) -> None:
    approved = approve_matched(ready)
    other = other_campaign(ready, tmp_path / "other")
    queued = outbox(ready.db_url)
    assert by_state(queued, "queued")

    published = other.cli("publish")
    assert published.exit_code == 0, published.stderr
    assert not creates(ready.stats()), "nothing went out under the other campaign"
    assert outbox(ready.db_url) == queued, "the other campaign left this one's outbox alone"
    unsure = json.loads(ready.cli("queue", "--json", "--consent", "needs-check").stdout)
    tid = unsure[0]["id"]
    # to the other campaign's staff it is no testimony of theirs: nothing of it is shown
    shown = other.cli("show", str(tid))
    assert shown.exit_code == 1 and shown.stdout == ""
    assert f"no testimony {tid}" in shown.stderr
    refused = other.cli("approve", str(tid), "--override", "--reason", "checked", "--as", "tester")
    assert refused.exit_code == 1
    assert f"testimony {tid}: no such testimony" in refused.stderr

    # its own campaign publishes them as before; the other campaign's gallery shows none
    mine = ready.cli("publish")
    assert mine.exit_code == 0, mine.stderr
    assert sum(creates(ready.stats()).values()) > 0
    assert by_state(outbox(ready.db_url), "done")["gallery"] == len(approved)
    assert feed_items(tmp_path / "gallery") == len(approved)
    assert other.cli("gallery").exit_code == 0
    assert feed_items(tmp_path / "other" / "gallery") == 0
    # a takedown this campaign asks for is its own publisher's to do, from its own accounts
    rejected = ready.cli("reject", str(approved[0]), "--reason", "asked by the participant")
    assert rejected.exit_code == 0, rejected.stderr
    again = other.cli("publish")
    assert again.exit_code == 0, again.stderr
    assert not deletes(ready.stats())
    assert feed_items(tmp_path / "gallery") == len(approved)
    assert ready.cli("publish").exit_code in (0, 1)  # 1: a TikTok reshare to delete by hand
    assert sum(deletes(ready.stats()).values()) > 0
    assert feed_items(tmp_path / "gallery") == len(approved) - 1
    # deleted by hand in the TikTok app: only its own campaign can record that, or the
    # other's staff could mark a reshare down that is still up
    up = [r for r in outbox(ready.db_url) if r.testimony_id == approved[0] and r.target == "tiktok"]
    assert up, "the sandbox campaign reshares on TikTok"
    for row in up:
        foreign = other.cli("taken-down", str(row.id), "--as", "tester")
        assert foreign.exit_code == 1
        assert f"publication {row.id}: no such publication" in foreign.stderr
        assert next(r for r in outbox(ready.db_url) if r.id == row.id).state != "taken-down"
        own = ready.cli("taken-down", str(row.id), "--as", "tester")
        assert own.exit_code == 0, own.stderr
        assert next(r for r in outbox(ready.db_url) if r.id == row.id).state == "taken-down"


def feed_items(gallery: Path) -> int:
    return len(json.loads((gallery / "feed.json").read_text())["items"])


def two_campaigns(folder: Path) -> tuple[LoadedCampaign, LoadedCampaign]:
    """This campaign's file and another's (the same but for its id), for tests on the
    database alone (no sandbox: in the fast tier)."""
    text = campaign_text("http://127.0.0.1:9", folder)
    files = []
    for name, campaign_id in (("mine", "learning-never-stops"), ("other", OTHER_CAMPAIGN)):
        path = folder / f"{name}.toml"
        path.write_text(text.replace('id = "learning-never-stops"', f'id = "{campaign_id}"', 1))
        files.append(load_campaign(path))
    assert files[0].id != files[1].id == OTHER_CAMPAIGN
    return files[0], files[1]


def add_publications(
    sessions: sessionmaker[Session], campaign_id: str, target: str, count: int, **values: Any
) -> list[int]:
    """`count` testimonies of `campaign_id`, each with a publication on `target`."""
    who = STRANGER if campaign_id == OTHER_CAMPAIGN else ("Ana", "Own", "Hometown", "Homeland", "a")
    ids = []
    with sessions.begin() as session:
        for n in range(count):
            tid = add_testimony(session, campaign_id, f"{campaign_id[:5]}{target}{n}", who)
            row = models.Publication(
                testimony_id=tid,
                target=target,
                idempotency_key=uuid.uuid4().hex,
                created_at=NOW,
                updated_at=NOW,
                **values,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def next_attempts(sessions: sessionmaker[Session], ids: list[int]) -> list[datetime | None]:
    with sessions() as session:
        return [
            None if at is None else at.replace(tzinfo=UTC)
            for at in (session.get_one(models.Publication, i).next_attempt_at for i in ids)
        ]


def test_a_rate_limit_holds_back_this_campaigns_publications_only(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A rate limit on one campaign's account holds that campaign's due reshares back until
    the reset; another campaign's reshares (its own accounts, its own file) stay due."""
    mine, other = two_campaigns(tmp_path)
    due = {"state": PublicationState.QUEUED, "next_attempt_at": NOW}
    own = add_publications(sessions, mine.id, "x", 2, **due)
    theirs = add_publications(sessions, OTHER_CAMPAIGN, "x", 2, **due)
    reset = NOW + timedelta(hours=1)

    record_failure(
        sessions, mine, own[0], TryLater("x: rate limited", reset), FakeClock(NOW),
        PublishSummary(), "x",
    )  # fmt: skip
    assert next_attempts(sessions, own) == [reset, reset]
    assert next_attempts(sessions, theirs) == [NOW, NOW]

    # the other campaign's own limit holds its own reshares, and leaves this one's alone
    later = NOW + timedelta(hours=2)
    record_failure(
        sessions, other, theirs[0], TryLater("x: rate limited", later), FakeClock(NOW),
        PublishSummary(), "x",
    )  # fmt: skip
    assert next_attempts(sessions, theirs) == [later, later]
    assert next_attempts(sessions, own) == [reset, reset]


def test_status_counts_this_campaigns_withdrawn_gallery_cards_only(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """After a failed gallery rebuild, `status` (and the alerts and metrics built on it)
    says how many withdrawn cards this campaign's gallery still shows: never the other
    campaign's, which are on another gallery."""
    mine, other = two_campaigns(tmp_path)
    withdrawn = {
        "state": PublicationState.DONE,
        "external_id": "card",
        "takedown_requested_at": NOW,
        "takedown_reason": "consent withdrawn",
    }
    add_publications(sessions, OTHER_CAMPAIGN, "gallery", 2, **withdrawn)
    with sessions.begin() as session:
        for loaded in (mine, other):
            audit.record(
                session,
                at=NOW,
                actor="publisher",
                action="gallery.rebuild-failed",
                subject_type="gallery",
                subject_id=loaded.id,
                detail={"error": "No space left on device"},
            )

    def status(loaded: LoadedCampaign) -> tuple[str, str]:
        """The report as JSON, and its gallery alarm."""
        with sessions() as session:
            report = build_status(session, loaded, NOW)
        [alarm] = [a for a in report["alarms"] if a["kind"] == "gallery"]
        return json.dumps(report, default=str), str(alarm["message"])

    report, alarm = status(mine)
    assert "new cards are not on the public gallery yet" in alarm
    assert "withdrawn card" not in report and not leaked(report)
    assert "2 withdrawn card(s) are still on the public gallery" in status(other)[1]
