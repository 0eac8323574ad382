"""What a form allows: the uses it names, until when; a form without scope covers nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db import models
from db.scope import refusal, scope_targets
from tests.consent.conftest import NOW, add_post, form, sessions_of, write_export
from tests.sandboxed import Setup


def approve_matched(desk: Setup, exit_code: int = 0, **scope: str) -> tuple[str, list[str]]:
    """Import one form with `scope`, a post of it, approve it: (message, queued targets)."""
    export = write_export(
        desk.path / "forms.csv", [form("R1", "Amina Kamau", x_handle="aminak", **scope)]
    )
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    sessions = sessions_of(desk)
    _, testimony = add_post(sessions, "x", "1", handle="aminak")
    assert "matched 1" in desk.cli("match").stdout
    outcome = desk.cli("approve", str(testimony), "--as", "kim")
    assert outcome.exit_code == exit_code, outcome.stderr
    with sessions() as session:
        queued = session.scalars(
            select(models.Publication.target).where(models.Publication.testimony_id == testimony)
        ).all()
    return outcome.stdout + outcome.stderr, sorted(queued)


def test_a_form_without_scope_lets_nothing_be_published(desk: Setup) -> None:
    message, queued = approve_matched(desk, 1, consent_scope="")
    assert queued == []
    assert message.startswith("storydesk: testimony 1: refused: no target can carry it: x ")
    assert "the consent form gives no scope" in message


def test_the_scope_chooses_the_targets(desk: Setup) -> None:
    message, queued = approve_matched(desk, consent_scope="website; x")
    assert queued == ["gallery", "x"]
    assert "does not cover youtube" in message


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ([], set()),
        (["website"], {"gallery"}),
        (["social"], {"x", "youtube", "instagram", "facebook", "linkedin", "tiktok", "bluesky"}),
        (
            ["all"],
            {"x", "youtube", "instagram", "facebook", "linkedin", "tiktok", "bluesky", "gallery"},
        ),
        (["Twitter", "web"], {"x", "gallery"}),
    ],
)
def test_scope_words(scope: list[str], allowed: set[str]) -> None:
    assert scope_targets(scope) == allowed


def test_refusal_names_the_reason() -> None:
    record = models.ConsentRecord(state="active", consent_scope=[], expires_at=None)
    assert refusal(record, "x", NOW) == "the consent form gives no scope"
    assert refusal(None, "x", NOW) == "no consent form"
    record.consent_scope = ["website"]
    assert refusal(record, "gallery", NOW) is None
    assert "does not cover x" in (refusal(record, "x", NOW) or "")
    record.expires_at = NOW - timedelta(days=1)
    assert "expired" in (refusal(record, "gallery", NOW) or "")
    record.expires_at, record.state = None, "revoked"
    assert refusal(record, "gallery", NOW) == "consent revoked"
