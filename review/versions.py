"""Several reviewers at once: a decision is taken on the card the reviewer saw, or not at all.

A card carries a version: its review state, its consent state and form, and the last
decision on it. A face (the review page, the terminal review) sends the version it showed
back with the decision; `lock_unchanged` locks the testimony's row for the transaction and
raises `ChangedMeanwhile` when another reviewer (or a new consent match) changed it since,
so nothing decided elsewhere is overwritten silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models import ConsentRecord, Decision, Testimony
from db.states import ConsentState

BLOCKING: dict[str, str] = {
    ConsentState.REVOKED: " and its consent is revoked",
    ConsentState.GUARDIAN_REQUIRED: " and its consent needs a guardian's signature",
    ConsentState.NONE: " and no consent form is tied to it",
}


class LastDecision(TypedDict):
    action: str
    reviewer: str
    note: str | None
    at: str  # ISO 8601, to the second


@dataclass
class ChangedMeanwhile(Exception):
    """The card changed since the reviewer saw it; `now` says how it stands."""

    testimony_id: int
    version: str | None
    review: str | None
    last: LastDecision | None
    consent: str | None = None  # the testimony's consent state as it now stands

    def __str__(self) -> str:
        return self.message()

    def message(self) -> str:
        if self.version is None:
            return f"testimony {self.testimony_id} is gone"
        said = f"testimony {self.testimony_id} changed meanwhile: it is {self.review}"
        # a consent that now forbids approval is the change to say (a revoked form leaves
        # the review state as it was, and "it is pending" alone explains nothing)
        said += BLOCKING.get(str(self.consent), "")
        if self.last is not None:
            said += f" ({self.last['action']} by {self.last['reviewer']} at {self.last['at']})"
        return said + "; your decision was not saved"


def version_of(session: Session, testimony_id: int) -> str | None:
    """The card's version, or None when there is no such testimony."""
    row = session.execute(
        select(
            Testimony.review_state,
            Testimony.consent_state,
            Testimony.consent_id,
            ConsentRecord.version,
            ConsentRecord.state,
        )
        .outerjoin(ConsentRecord, ConsentRecord.id == Testimony.consent_id)
        .where(Testimony.id == testimony_id)
    ).first()
    if row is None:
        return None
    last = session.scalar(
        select(func.max(Decision.id)).where(Decision.testimony_id == testimony_id)
    )
    seen = "|".join(str(part) for part in (*row, last))
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def last_decision(session: Session, testimony_id: int) -> LastDecision | None:
    decision = session.scalars(
        select(Decision)
        .where(Decision.testimony_id == testimony_id)
        .order_by(Decision.id.desc())
        .limit(1)
    ).first()
    if decision is None:
        return None
    return LastDecision(
        action=decision.action,
        reviewer=decision.reviewer,
        note=decision.note,
        at=decision.decided_at.isoformat(timespec="seconds"),
    )


def lock_unchanged(session: Session, testimony_id: int, seen: str) -> None:
    """Lock the testimony's row until the transaction ends, then check it is still the card
    the reviewer saw. The no-op UPDATE takes the row lock on PostgreSQL and the write lock
    on SQLite before the version is read, so two reviewers deciding at once are serialised
    and the second one learns of the first."""
    session.execute(
        update(Testimony)
        .where(Testimony.id == testimony_id)
        .values(updated_at=Testimony.updated_at)
        .execution_options(synchronize_session=False)
    )
    current = version_of(session, testimony_id)
    if current != seen:
        testimony = session.get(Testimony, testimony_id)
        raise ChangedMeanwhile(
            testimony_id,
            current,
            testimony.review_state if testimony else None,
            last_decision(session, testimony_id),
            testimony.consent_state if testimony else None,
        )
