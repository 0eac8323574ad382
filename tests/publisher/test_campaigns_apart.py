"""Two campaigns on one database: each campaign's forms were signed for that campaign, so
another campaign's publisher, gallery and reviewers never send, show or approve them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.publisher.flow import approve_matched, by_state, creates, deletes, outbox
from tests.sandboxed import Setup

OTHER = "cities-of-learning-2027"


def other_campaign(ready: Setup, folder: Path) -> Setup:
    """A second campaign file on the same database and platforms, its own gallery."""
    folder.mkdir()
    text = ready.config.read_text()
    assert 'id = "learning-never-stops"' in text
    text = text.replace('id = "learning-never-stops"', f'id = "{OTHER}"', 1)
    text = text.replace(str(ready.path / "gallery"), str(folder / "gallery"))
    config = folder / "campaign.toml"
    config.write_text(text)
    other = Setup(folder, config, ready.db_url, ready.base_url)
    assert other.cli("init").exit_code == 0
    return other


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
    shown = other.cli("show", str(unsure[0]["id"]))  # staff of the other campaign see why
    assert shown.exit_code == 0, shown.stderr
    assert "campaign learning-never-stops's testimony" in shown.stdout
    refused = other.cli(
        "approve", str(unsure[0]["id"]), "--override", "--reason", "checked", "--as", "tester"
    )
    assert refused.exit_code == 1
    assert "campaign learning-never-stops's testimony" in refused.stdout + refused.stderr

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


def feed_items(gallery: Path) -> int:
    return len(json.loads((gallery / "feed.json").read_text())["items"])
