"""`consent list|show --json` shapes, and `consent revoke`: who, when, why, and every reshare
of that person's posts taken down by the next `publish`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db import models
from tests.consent.conftest import add_post, form, sessions_of, write_export
from tests.sandboxed import Setup, make_setup, session_factory


def as_json(setup: Setup, *args: str) -> Any:
    outcome = setup.cli(*args, "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return json.loads(outcome.stdout)


def test_list_and_show_json_shapes(desk: Setup) -> None:
    export = write_export(
        desk.path / "forms.csv",
        [form("R1", "Amina Kamau", x_handle="aminak", city="Nairobi"), form("R2", "Juma Diop")],
    )
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    sessions = sessions_of(desk)
    post, testimony = add_post(
        sessions, "x", "1", handle="AminaK", url="https://x.com/AminaK/status/1"
    )
    assert desk.cli("match").exit_code == 0

    listed = as_json(desk, "consent", "list")
    assert [set(item) for item in listed] == [
        {"id", "response_id", "full_name", "state", "posts"}
    ] * 2
    assert [(i["response_id"], i["state"], i["posts"]) for i in listed] == [
        ("R1", "active", 1),
        ("R2", "active", 0),
    ]
    shown = as_json(desk, "consent", "show", "R1")
    assert shown == as_json(desk, "consent", "show", str(listed[0]["id"]))  # id or response_id
    assert {"id", "response_id", "version", "state", "full_name", "source_file", "source_row",
            "form_version", "consent_scope", "revoked_at", "revoked_by", "history", "posts"} <= set(shown)  # fmt: skip
    assert shown["posts"] == [
        {
            "post_id": post,
            "testimony_id": testimony,
            "platform": "x",
            "url": "https://x.com/AminaK/status/1",
            "state": "matched",
            "by": "handle",
        }
    ]
    assert as_json(desk, "consent", "list", "--state", "revoked") == []


def test_show_and_revoke_of_an_unknown_form_say_so_in_one_line(desk: Setup) -> None:
    export = write_export(desk.path / "forms.csv", [form("R1", "Amina Kamau")])
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    for args in (("show", "R9"), ("revoke", "R9", "--reason", "x")):
        outcome = desk.cli("consent", *args)
        assert outcome.exit_code == 1
        [line] = outcome.stderr.strip().splitlines()
        assert "R9" in line and "Traceback" not in line
    assert desk.cli("consent", "revoke", "R1").exit_code == 2  # --reason is required


def test_revoke_records_who_when_why_and_refuses_twice(desk: Setup) -> None:
    export = write_export(desk.path / "forms.csv", [form("R1", "Amina Kamau", x_handle="aminak")])
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    sessions = sessions_of(desk)
    _, testimony = add_post(sessions, "x", "1", handle="aminak")
    assert desk.cli("match").exit_code == 0
    outcome = desk.cli("consent", "revoke", "R1", "--reason", "asked by phone", "--as", "kim")
    assert outcome.exit_code == 0, outcome.stderr
    assert "1 testimony queued for takedown" in outcome.stdout
    shown = as_json(desk, "consent", "show", "R1")
    assert (shown["state"], shown["revoked_by"], shown["revoke_reason"]) == (
        "revoked",
        "kim",
        "asked by phone",
    )
    assert shown["revoked_at"] is not None
    with sessions() as session:
        entry = session.scalars(
            select(models.AuditEntry).where(models.AuditEntry.action == "consent.revoked")
        ).one()
        assert (entry.actor, entry.detail["testimonies"]) == ("kim", [testimony])
        row = session.get(models.Testimony, testimony)
        assert row is not None and row.consent_state == "revoked"
    again = desk.cli("consent", "revoke", "R1", "--reason", "twice")
    assert again.exit_code == 1 and "already revoked" in again.stderr and "by kim" in again.stderr
    assert as_json(desk, "consent", "list", "--state", "revoked")[0]["response_id"] == "R1"


@pytest.fixture
def published(tmp_path: Path, sandbox: Any, sqlite_url: str) -> Setup:
    """A harvest on the sandbox, and one matched testimony approved and reshared on X and
    in the gallery."""
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, targets=("x", "gallery"))
    assert setup.cli("harvest").exit_code == 0
    queue = json.loads(setup.cli("queue", "--json", "--limit", "500").stdout)
    chosen = next(i for i in queue if i["consent"] == "matched" and i["platform"] == "x")
    assert setup.cli("approve", str(chosen["id"])).exit_code == 0
    outcome = setup.cli("publish")
    assert outcome.exit_code == 0, outcome.stderr
    (setup.path / "chosen.json").write_text(json.dumps(chosen))
    return setup


def test_revoke_takes_every_reshare_of_that_person_down(published: Setup) -> None:
    chosen = json.loads((published.path / "chosen.json").read_text())
    sessions = session_factory(published.db_url)
    with sessions() as session:
        done = session.scalars(
            select(models.Publication).where(models.Publication.testimony_id == chosen["id"])
        ).all()
        assert {p.target: p.state for p in done} == {"x": "done", "gallery": "done"}
    retweeted = set(published.stats()["retweets"])
    assert retweeted

    outcome = published.cli("consent", "revoke", chosen["consent_id"], "--reason", "withdrawn")
    assert outcome.exit_code == 0, outcome.stderr
    with sessions() as session:
        rows = session.scalars(
            select(models.Publication).where(models.Publication.testimony_id == chosen["id"])
        ).all()
        assert all(p.takedown_requested_at is not None for p in rows)
        assert all("consent withdrawn: withdrawn" in (p.takedown_reason or "") for p in rows)

    assert published.cli("publish").exit_code == 0  # the publisher acts on the takedowns
    with sessions() as session:
        states = {
            p.target: p.state
            for p in session.scalars(
                select(models.Publication).where(models.Publication.testimony_id == chosen["id"])
            )
        }
    assert states == {"x": "taken-down", "gallery": "taken-down"}
    assert not set(published.stats()["retweets"]) & {
        c["native_id"] for c in [chosen, *chosen.get("copies", [])]
    }
