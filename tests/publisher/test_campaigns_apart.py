"""Two campaigns on one database: each campaign's forms were signed for that campaign, so
another campaign's publisher, gallery and reviewers never send, show or approve them (the
listings' side: tests/review/test_campaign_scope.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.publisher.flow import approve_matched, by_state, creates, deletes, outbox
from tests.sandboxed import Setup, other_campaign


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
