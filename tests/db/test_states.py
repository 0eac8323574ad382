"""The states (db/states.py): stored as the plain words they always were, read back as their
enum, and a word that is no state refused at the write, on both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from db import models
from db.models import Campaign
from db.states import ConsentState, ReviewState

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _testimony(session: Session, **states: str) -> None:
    session.add(Campaign(id="c", name="c", created_at=NOW))
    session.flush()
    session.add(models.Testimony(id=1, campaign_id="c", created_at=NOW, updated_at=NOW, **states))
    session.flush()


def test_states_are_stored_as_words_and_read_back_as_enums(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _testimony(session, consent_state=ConsentState.NEEDS_CHECK)
    with sessions() as session:
        stored = session.execute(
            text("SELECT consent_state, review_state FROM testimonies WHERE id = 1")
        ).one()
        assert tuple(stored) == ("needs-check", "pending")
        testimony = session.get_one(models.Testimony, 1)
        assert testimony.consent_state is ConsentState.NEEDS_CHECK
        assert testimony.review_state is ReviewState.PENDING
        # what a report, a log line or a JSON answer shows: the word itself
        assert f"{testimony.consent_state}" == "needs-check"
        assert json.dumps([testimony.review_state]) == '["pending"]'


def test_a_word_that_is_no_state_is_refused_at_the_write(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(StatementError, match="'aproved' is not a valid ReviewState"):
        with sessions.begin() as session:
            _testimony(session, review_state="aproved")
