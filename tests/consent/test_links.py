"""Links between copies: suggested by words or a video link, joined only when one form names
both accounts, split when different forms name them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import models
from tests.consent.conftest import add_post, form, sessions_of, write_export
from tests.sandboxed import Setup

SCRIPT = "Hi, I'm Amina, I'm 15 years old from Nairobi, Kenya. #LearningNeverStops @UNESCO"


def _given(desk: Setup, *rows: dict[str, Any]) -> sessionmaker[Session]:
    export = write_export(desk.path / "forms.csv", list(rows))
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    return sessions_of(desk)


def _suggest(sessions: sessionmaker[Session], post_id: int, testimony: int, by: str) -> None:
    """What the harvester records when a new post looks like a stored testimony."""
    with sessions.begin() as session:
        session.get_one(models.Post, post_id).link_suggestion = {
            "testimony_id": testimony,
            "by": by,
        }


def _testimony_of(sessions: sessionmaker[Session], post_id: int) -> int | None:
    with sessions() as session:
        return session.get_one(models.Post, post_id).testimony_id


def test_namesakes_saying_the_same_words_stay_apart_and_the_link_is_only_suggested(
    desk: Setup,
) -> None:
    sessions = _given(
        desk,
        form(
            "R1",
            "Amina Kamau",
            x_handle="amina_k",
            city="Nairobi",
            age="15",
            guardian_name="Mary Kamau",
            guardian_signed="yes",
        ),  # fmt: skip
        form(
            "R2",
            "Amina Otieno",
            youtube_channel="UC0000000000000000000002",
            city="Nairobi",
            age="15",
            guardian_name="John Otieno",
            guardian_signed="yes",
        ),  # fmt: skip
    )
    x_post, x_testimony = add_post(sessions, "x", "1", handle="amina_k", text=SCRIPT)
    yt_post, yt_testimony = add_post(
        sessions, "youtube", "abcdefghijk", author_id="UC0000000000000000000002", text=SCRIPT
    )
    _suggest(sessions, yt_post, x_testimony, "same_words")
    outcome = desk.cli("match")
    assert outcome.exit_code == 0
    assert "links:" not in outcome.stdout  # nothing joined
    assert _testimony_of(sessions, yt_post) == yt_testimony != x_testimony
    shown = desk.cli("show", str(yt_testimony))
    assert f"may be the same testimony as {x_testimony} (same words" in shown.stdout
    assert "not joined: no one form names both accounts" in shown.stdout


def test_a_suggested_link_is_joined_when_one_form_names_both_accounts(desk: Setup) -> None:
    sessions = _given(
        desk,
        form("R1", "Amina Kamau", x_handle="amina_k", youtube_channel="UC0000000000000000000001"),
    )
    x_post, x_testimony = add_post(sessions, "x", "1", handle="amina_k", text=SCRIPT)
    yt_post, yt_testimony = add_post(
        sessions, "youtube", "abcdefghijk", author_id="UC0000000000000000000001", text=SCRIPT
    )
    _suggest(sessions, yt_post, x_testimony, "same_words")
    outcome = desk.cli("match")
    assert "links: 1 suggested link(s) joined" in outcome.stdout
    assert _testimony_of(sessions, yt_post) == x_testimony
    with sessions() as session:
        assert session.get(models.Testimony, yt_testimony) is None
        trail = session.scalars(
            select(models.AuditEntry.action).where(models.AuditEntry.action.like("link.%"))
        ).all()
    assert trail == ["link.joined"]
    card = desk.cli("show", str(x_testimony), "--json")
    assert card.exit_code == 0
    # matching again: nothing more to do
    again = desk.cli("match")
    assert "links:" not in again.stdout and "(0 changed)" in again.stdout


def test_a_link_is_not_joined_when_one_side_is_only_a_likeness(desk: Setup) -> None:
    sessions = _given(desk, form("R1", "Amina Kamau", x_handle="amina_k", city="Nairobi"))
    _, x_testimony = add_post(sessions, "x", "1", handle="amina_k", text=SCRIPT)
    # an Instagram account no form names, whose handle only looks like the name
    ig_post, ig_testimony = add_post(
        sessions, "instagram", "9", handle="amina.kamau.nairobi", name="Amina Kamau", text=SCRIPT
    )
    _suggest(sessions, ig_post, x_testimony, "links_to_video")
    assert desk.cli("match").exit_code == 0
    assert _testimony_of(sessions, ig_post) == ig_testimony


def test_a_decided_testimony_is_never_joined(desk: Setup) -> None:
    sessions = _given(
        desk,
        form("R1", "Amina Kamau", x_handle="amina_k", youtube_channel="UC0000000000000000000001"),
    )
    _, x_testimony = add_post(sessions, "x", "1", handle="amina_k", text=SCRIPT)
    assert desk.cli("match").exit_code == 0
    assert desk.cli("approve", str(x_testimony), "--as", "kim").exit_code == 0
    yt_post, yt_testimony = add_post(
        sessions, "youtube", "abcdefghijk", author_id="UC0000000000000000000001", text=SCRIPT
    )
    _suggest(sessions, yt_post, x_testimony, "same_words")
    assert desk.cli("match").exit_code == 0
    assert _testimony_of(sessions, yt_post) == yt_testimony
