"""A withdrawn card is taken down only when the public gallery without it is in place: a
rebuild that fails (disk full) leaves the takedown due and an alarm standing, and the next
cycle removes the card. A gallery served through a symlink into a web root is updated
there. `gallery --out` never replaces a folder it did not write."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest

import publisher.gallery
from tests.publisher.flow import Row, approve_matched, outbox
from tests.sandboxed import Setup, make_setup


def shown(gallery: Path) -> set[int]:
    feed = json.loads((gallery / "feed.json").read_text())
    return {int(item["id"]) for item in feed["items"]}


def withdraw_one(setup: Setup, gallery: Path) -> tuple[int, list[Row]]:
    """Revoke the form of one testimony on the gallery; its id and its gallery rows."""
    queue: list[dict[str, Any]] = json.loads(
        setup.cli("queue", "--json", "--status", "approved", "--limit", "0").stdout
    )
    testimony = min(shown(gallery))
    form = next(i["consent_id"] for i in queue if i["id"] == testimony)
    withdrawn = {i["id"] for i in queue if i["consent_id"] == form}
    revoked = setup.cli("consent", "revoke", str(form), "--reason", "participant withdrew")
    assert revoked.exit_code == 0, revoked.stderr
    rows = [r for r in outbox(setup.db_url) if r.target == "gallery"]
    return testimony, [r for r in rows if r.testimony_id in withdrawn and r.state == "done"]


def alarms(setup: Setup) -> list[dict[str, Any]]:
    report = setup.cli("status", "--json")
    return list(json.loads(report.stdout)["alarms"])


def test_a_failed_rebuild_keeps_the_takedown_due_with_an_alarm_until_the_next_cycle(
    tmp_path: Path, sandbox: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, targets=("gallery",))
    gallery = tmp_path / "gallery"
    approve_matched(setup)
    assert setup.cli("publish").exit_code == 0
    testimony, mine = withdraw_one(setup, gallery)
    assert testimony in shown(gallery) and mine

    write_site = publisher.gallery._write_site

    def disk_full(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publisher.gallery, "_write_site", disk_full)
    cycle = setup.cli("publish")
    assert cycle.exit_code == 1
    assert f"could not write the gallery at {gallery}: No space left on device" in cycle.stderr
    assert "gallery: 0 published, 0 taken down, 0 skipped, 1 failed" in cycle.stdout

    # The public gallery still shows the card, so nothing says it was taken down.
    assert testimony in shown(gallery)
    after = {r.id: r for r in outbox(setup.db_url)}
    for row in mine:
        assert after[row.id].state == "done"
        assert "the gallery rebuild failed" in (after[row.id].last_error or "")
    planned = setup.cli("publish", "--dry-run").stdout
    assert f"testimony {testimony} → gallery: take down" in planned

    status = setup.cli("status")
    assert status.exit_code == 1
    assert "No space left on device" in status.stdout
    assert f"{len(mine)} withdrawn card(s) are still on the public gallery" in status.stdout
    assert [a["kind"] for a in alarms(setup) if a["platform"] == "gallery"] == ["gallery"]

    # A cycle with nothing new to publish still retries: the failure is not forgotten.
    assert setup.cli("publish").exit_code == 1
    assert testimony in shown(gallery)

    # Space freed: the next cycle removes the card, and only then records the takedown.
    monkeypatch.setattr(publisher.gallery, "_write_site", write_site)
    cycle = setup.cli("publish")
    assert cycle.exit_code == 0, cycle.stderr
    assert f"gallery: 0 published, {len(mine)} taken down" in cycle.stdout
    assert testimony not in shown(gallery)
    assert f'id="t{testimony}"' not in (gallery / "index.html").read_text()
    after = {r.id: r for r in outbox(setup.db_url)}
    assert all(after[r.id].state == "taken-down" and not after[r.id].last_error for r in mine)
    assert not [a for a in alarms(setup) if a["platform"] == "gallery"]
    assert "take down" not in setup.cli("publish", "--dry-run").stdout


def test_a_gallery_behind_a_symlink_is_updated_in_the_web_root(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    webroot = tmp_path / "var" / "www" / "gallery"
    webroot.mkdir(parents=True)  # made by whoever runs the web server
    (tmp_path / "gallery").symlink_to(webroot)  # the campaign's out = "<tmp>/gallery"
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, targets=("gallery",))
    approve_matched(setup)
    assert setup.cli("publish").exit_code == 0
    assert shown(webroot)
    testimony, mine = withdraw_one(setup, webroot)

    cycle = setup.cli("publish")
    assert cycle.exit_code == 0, cycle.stderr
    assert (tmp_path / "gallery").is_symlink()
    assert testimony not in shown(webroot)
    assert f'id="t{testimony}"' not in (webroot / "index.html").read_text()
    assert all(r.state == "taken-down" for r in outbox(sqlite_url) if r.id in {m.id for m in mine})
    assert sorted(p.name for p in webroot.iterdir()) == [
        ".storydesk-gallery",
        "feed.json",
        "index.html",
        "rss.xml",
    ]


def test_taken_down_by_hand_is_refused_for_a_gallery_card(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, targets=("gallery",))
    approve_matched(setup)
    assert setup.cli("publish").exit_code == 0
    _, mine = withdraw_one(setup, tmp_path / "gallery")
    by_hand = setup.cli("taken-down", str(mine[0].id))
    assert by_hand.exit_code == 1
    assert "is a gallery card: run `storydesk gallery`" in by_hand.stderr
    built = setup.cli("gallery")
    assert built.exit_code == 0, built.stderr
    assert f"{len(mine)} withdrawn card" in built.stdout
    after = {r.id: r.state for r in outbox(sqlite_url)}
    assert all(after[r.id] == "taken-down" for r in mine)


def test_gallery_out_refuses_a_folder_it_did_not_write(tmp_path: Path, sqlite_url: str) -> None:
    setup = make_setup(tmp_path, "http://127.0.0.1:9", sqlite_url, consent=False)
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "report.docx").write_text("a year of work")
    refused = setup.cli("gallery", "--out", str(foreign))
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"storydesk: {foreign} is a non-empty folder storydesk did not create; nothing was "
        "written or deleted (give a new or empty folder)"
    ]
    assert [p.name for p in foreign.iterdir()] == ["report.docx"]
    assert (foreign / "report.docx").read_text() == "a year of work"

    fresh = tmp_path / "site"
    assert setup.cli("gallery", "--out", str(fresh)).exit_code == 0
    again = setup.cli("gallery", "--out", str(fresh))  # its own folder: rebuilt
    assert again.exit_code == 0, again.stderr
    assert (fresh / ".storydesk-gallery").exists() and (fresh / "index.html").exists()

    helped = setup.cli("gallery", "--help")
    assert helped.exit_code == 0
    words = " ".join(helped.stdout.split())
    assert "refused (exit 2) and nothing in it is touched" in words
