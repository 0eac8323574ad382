"""Withdrawn consent: the next cycle takes every reshare down, each with its audit row,
and the rebuilt gallery no longer shows the testimony."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry
from db.session import make_engine
from tests.publisher.flow import approve_matched, deletes, outbox
from tests.sandboxed import Setup


def audit_actions(db_url: str, publication_ids: set[int]) -> Counter[str]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "publication")
        ).all()
        found = Counter(e.action for e in entries if int(e.subject_id) in publication_ids)
    engine.dispose()
    return found


def gallery_ids(setup: Setup) -> set[int]:
    feed = json.loads((setup.path / "gallery" / "feed.json").read_text())
    return {int(item["id"]) for item in feed["items"]}


def test_revoking_consent_takes_every_reshare_down_in_one_cycle(ready: Setup) -> None:
    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    rows = outbox(ready.db_url)
    queue: list[dict[str, Any]] = json.loads(
        ready.cli("queue", "--json", "--status", "approved", "--limit", "0").stdout
    )
    consent_of = {item["id"]: item["consent_id"] for item in queue}
    # The form whose testimonies went out to the most targets, X among them.
    reach: dict[str, set[str]] = {}
    for r in rows:
        if r.state == "done":
            reach.setdefault(consent_of[r.testimony_id], set()).add(r.target)
    form = max(reach, key=lambda f: ("x" in reach[f], len(reach[f])))
    mine = [r for r in rows if consent_of[r.testimony_id] == form and r.state == "done"]
    testimonies = {r.testimony_id for r in mine}
    targets = Counter(r.target for r in mine)
    assert {"x", "youtube", "facebook", "gallery"} <= set(targets)
    assert testimonies <= gallery_ids(ready)
    index = (ready.path / "gallery" / "index.html").read_text()
    assert all(f'id="t{t}"' in index for t in testimonies)

    revoked = ready.cli(
        "consent", "revoke", form, "--reason", "participant withdrew", "--as", "dpo"
    )
    assert revoked.exit_code == 0, revoked.stderr
    planned = ready.cli("publish", "--dry-run").stdout.splitlines()
    assert sorted(line.split(":")[0] for line in planned if ": take down " in line) == sorted(
        f"testimony {r.testimony_id} → {r.target}" for r in mine
    )

    before = ready.stats()
    cycle = ready.cli("publish")
    taken = Counter(deletes(ready.stats())) - Counter(deletes(before))
    after = {r.id: r for r in outbox(ready.db_url)}
    settled = [after[r.id] for r in mine]
    tiktok = [r for r in settled if r.target == "tiktok"]
    others = [r for r in settled if r.target != "tiktok"]

    # One cycle: every platform that can delete did, once per reshare.
    expected = Counter(r.target for r in others if r.target != "gallery")
    assert taken == expected
    assert all(r.state == "taken-down" for r in others)
    audit = audit_actions(ready.db_url, {r.id for r in mine})
    assert audit["publication.takedown-requested"] == len(mine)
    assert audit["publication.taken-down"] == len(others)
    stats = ready.stats()
    x_ids = {c["native_id"] for i in queue if i["consent_id"] == form for c in i["copies"]}
    assert not x_ids & set(stats["retweets"])

    # TikTok has no delete API: the cycle says so, names what to do, and fails (exit 1).
    for row in tiktok:
        assert row.state != "taken-down" and "TikTok app" in (row.last_error or "")
    if tiktok:
        assert cycle.exit_code == 1 and "delete the video in the TikTok app" in cycle.stderr
    else:
        assert cycle.exit_code == 0, cycle.stderr

    # The rebuilt gallery no longer shows the testimonies, nor their text.
    assert not testimonies & gallery_ids(ready)
    index = (ready.path / "gallery" / "index.html").read_text()
    assert not any(f'id="t{t}"' in index for t in testimonies)
    rss = (ready.path / "gallery" / "rss.xml").read_text()
    assert not any(f"storydesk-{t}<" in rss for t in testimonies)


def test_a_tiktok_reshare_taken_down_by_hand_is_recorded_once(ready: Setup) -> None:
    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    queue: list[dict[str, Any]] = json.loads(
        ready.cli("queue", "--json", "--status", "approved", "--limit", "0").stdout
    )
    consent_of = {item["id"]: item["consent_id"] for item in queue}
    on_tiktok = [r for r in outbox(ready.db_url) if r.target == "tiktok" and r.state == "done"]
    assert on_tiktok, "the sandbox world has testimonies with a video file for TikTok"
    form = consent_of[on_tiktok[0].testimony_id]
    mine = [r for r in on_tiktok if consent_of[r.testimony_id] == form]
    untouched = next(r for r in outbox(ready.db_url) if consent_of[r.testimony_id] != form)

    assert ready.cli("consent", "revoke", str(form), "--reason", "withdrew").exit_code == 0
    cycle = ready.cli("publish")
    assert cycle.exit_code == 1
    for row in mine:  # the cycle names the command to run, with the publication's id
        assert f"then run `storydesk taken-down {row.id}`" in cycle.stderr

    for row in mine:
        done = ready.cli("taken-down", str(row.id), "--as", "dpo", "--note", "deleted in app")
        assert done.exit_code == 0, done.stderr
        assert done.stdout.strip() == (
            f"publication {row.id}: recorded as taken down from tiktok by dpo"
        )
    after = {r.id: r for r in outbox(ready.db_url)}
    assert all(after[r.id].state == "taken-down" and after[r.id].last_error is None for r in mine)
    assert ready.cli("publish").exit_code == 0  # nothing is left for a person to do

    again = ready.cli("taken-down", str(mine[0].id))
    assert again.exit_code == 0 and "already taken down" in again.stdout
    engine = make_engine(ready.db_url)
    with Session(engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "publication.taken-down",
                AuditEntry.subject_id.in_([str(r.id) for r in mine]),
            )
        ).all()
    engine.dispose()
    assert len(entries) == len(mine)
    assert all(e.actor == "dpo" and e.detail["by_hand"] for e in entries)
    assert {e.detail["note"] for e in entries} == {"deleted in app"}

    still_up = ready.cli("taken-down", str(untouched.id))
    assert still_up.exit_code == 1
    assert "no takedown was asked for" in still_up.stderr
    assert {r.id: r.state for r in outbox(ready.db_url)}[untouched.id] == untouched.state
    unknown = ready.cli("taken-down", "999999")
    assert unknown.exit_code == 1 and "publication 999999: no such publication" in unknown.stderr
