"""A harvested campaign: the sandbox's posts stored, matched and waiting in the queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models
from db.session import make_engine, make_session_factory
from tests.helpers import Outcome, invoke
from tests.sandboxed import Setup


@contextmanager
def opened(setup: Setup) -> Iterator[Session]:
    """A session on the campaign's database; its engine is closed afterwards, so a test
    leaves no PostgreSQL connections behind."""
    engine = make_engine(setup.db_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture
def harvested(ready: Setup) -> Setup:
    outcome = ready.cli("harvest")
    assert outcome.exit_code == 0, outcome.stderr
    return ready


def as_user(setup: Setup, *args: str, user: str = "alice") -> Outcome:
    """The CLI as staff member `user` would run it ($USER set, as in a login shell)."""
    return invoke(*args, env={**setup.env, "USER": user})


def queue_json(setup: Setup, *args: str) -> list[dict[str, Any]]:
    outcome = setup.cli("queue", "--json", *args)
    assert outcome.exit_code == 0, outcome.stderr
    items: list[dict[str, Any]] = json.loads(outcome.stdout)
    return items


def rank(item: dict[str, Any]) -> int:
    """How actionable a queue item is: 0 ready to approve, 1 consent to check, 2 the rest."""
    if item["consent"] == "matched" and not item["problems"]:
        return 0
    return 1 if item["consent"] == "needs-check" else 2


@dataclass
class State:
    """What a user checks after a command: review state, decisions, publications by target,
    and the scope of the consent form."""

    review: str
    decisions: list[tuple[Any, ...]]
    publications: dict[str, str]
    scope: list[str] | None


def state(setup: Setup, tid: int) -> State:
    with opened(setup) as session:
        testimony = session.get(models.Testimony, tid)
        assert testimony is not None
        form = session.get(models.ConsentRecord, testimony.consent_id or 0)
        decisions = [
            (d.action, d.reviewer, d.note, d.override, d.targets)
            for d in session.scalars(
                select(models.Decision)
                .where(models.Decision.testimony_id == tid)
                .order_by(models.Decision.id)
            )
        ]
        publications = dict(
            session.execute(
                select(models.Publication.target, models.Publication.state).where(
                    models.Publication.testimony_id == tid
                )
            ).all()
        )
        return State(
            testimony.review_state, decisions, publications, form.consent_scope if form else None
        )
