"""Approvals that no longer stand because the testimony now relies on another form.

A reviewer approves a video against one person's form (is it them, is the form right for
it). When a later match ties the testimony to a different form (the first form was edited,
or another person's form names the account), that look was at the wrong person: the
testimony goes back to the queue, pending, and db/copies.py lets nothing out on the old
approval in the meantime. What already went out on the lost copy is taken down by
consent/unbacked.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from db import audit
from db.models import Decision, Testimony
from db.states import ReviewState


def reopen_changed(session: Session, loaded: LoadedCampaign, now: datetime) -> list[int]:
    """Send approved testimonies whose form changed since approval back to review."""
    latest = (
        select(Decision.testimony_id, func.max(Decision.id).label("id"))
        .where(Decision.action == "approve")
        .group_by(Decision.testimony_id)
        .subquery()
    )
    rows = session.execute(
        select(Testimony.id, Testimony.consent_id, Decision.consent_id)
        .join(latest, latest.c.testimony_id == Testimony.id)
        .join(Decision, Decision.id == latest.c.id)
        .where(
            Testimony.campaign_id == loaded.id,
            Testimony.review_state == ReviewState.APPROVED,
            Decision.consent_id.is_not(None),
            Testimony.consent_id.is_distinct_from(Decision.consent_id),
        )
    ).all()
    reopened = []
    for tid, now_form, approved_form in rows:
        session.execute(
            update(Testimony)
            .where(Testimony.id == tid)
            .values(review_state=ReviewState.PENDING, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            session,
            at=now,
            actor="matcher",
            action="review.reopened",
            subject_type="testimony",
            subject_id=tid,
            detail={"approved_on_form": approved_form, "now_form": now_form},  # ids only
        )
        reopened.append(tid)
    return reopened
