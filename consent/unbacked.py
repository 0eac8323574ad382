"""Reshares that went out on a copy whose consent has since gone elsewhere.

A copy goes out only on its own evidence naming the testimony's form (db/copies.py), but
that evidence can change after the reshare: a form re-imported without the account, or a
second form that names it (the copy was another person's all along). Publishing checks
again before anything new goes out; this takes down what is already out. It runs in every
match, before links are settled, because a split moves such a copy to a testimony of its
own, and a reshare whose call was cut short (no id stored) is found again from the copies
where it was published from: such a testimony is not split until its takedown is done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from db.copies import CopyCheck, check_copies, latest_approval
from db.models import ConsentRecord, Publication, Testimony
from db.outbox import request_takedown
from db.scope import refusal
from db.states import SETTLED_PUBLICATION, FormState, PublicationState
from platforms import registry

ACTOR = "matcher"
# out on the platform, or possibly out (an in-flight call, a container already made)
SETTLED = SETTLED_PUBLICATION


def _live(session: Session, campaign_id: str) -> list[Publication]:
    return list(
        session.scalars(
            select(Publication)
            .join(Testimony, Testimony.id == Publication.testimony_id)
            .where(
                Testimony.campaign_id == campaign_id,
                Publication.state.not_in(SETTLED),
                Publication.takedown_requested_at.is_(None),
                or_(
                    Publication.state.in_((PublicationState.DONE, PublicationState.IN_FLIGHT)),
                    Publication.external_id.is_not(None),
                ),
            )
            .order_by(Publication.id)
        )
    )


def _lost(session: Session, loaded: LoadedCampaign, testimony: Testimony) -> list[CopyCheck]:
    """The copies approved to go out whose consent no longer lets them (a copy gone at its
    source is the compliance sweep's, with its own reason)."""
    approval = latest_approval(session, testimony.id)
    approved = {
        int(entry["post_id"])
        for entry in ((approval.copies or []) if approval is not None else [])
        if isinstance(entry, dict) and entry.get("goes_out") and "post_id" in entry
    }
    checks = check_copies(session, testimony, loaded.settings, approval=approval)
    return [
        c
        for c in checks
        if c.consent_refusal is not None
        and c.available
        # an approval from before copies were recorded: every copy may have gone out
        and (not approved or c.post_id in approved)
    ]


def take_down_unbacked(session: Session, loaded: LoadedCampaign, now: datetime) -> set[int]:
    """Ask for the takedown of every live reshare that may carry a copy whose consent is
    gone; the testimonies whose copies must stay where they are until a takedown is done."""
    by_testimony: dict[int, list[Publication]] = {}
    for publication in _live(session, loaded.id):
        by_testimony.setdefault(publication.testimony_id, []).append(publication)
    for tid, publications in by_testimony.items():
        testimony = session.get_one(Testimony, tid)
        _out_of_scope(session, testimony, publications, now)
        lost = _lost(session, loaded, testimony)
        if not lost:
            continue
        for publication in publications:
            # X, YouTube and Bluesky reshare that platform's own copy; the others link to or
            # quote some copy that went out, which may be the lost one
            carried = [
                c
                for c in lost
                if not registry.get(publication.target).reshares_own_post
                or c.platform == publication.target
            ]
            if not carried:
                continue
            copy = carried[0]
            reason = f"consent changed: the {copy.platform} copy {copy.native_id}: " + (
                copy.consent_refusal or ""
            )
            request_takedown(session, [tid], reason, now, ACTOR, targets=[publication.target])
    return _takedowns_pending(session, loaded.id)


def _out_of_scope(
    session: Session, testimony: Testimony, publications: list[Publication], now: datetime
) -> None:
    """A form re-imported with a narrower scope, or past its expires_at: what went out where
    it no longer allows comes down (a withdrawal has its own path, consent/register.py)."""
    record = session.get(ConsentRecord, testimony.consent_id) if testimony.consent_id else None
    if record is None or record.state != FormState.ACTIVE:
        return
    for publication in publications:
        if publication.takedown_requested_at is None and (
            why := refusal(record, publication.target, now)
        ):
            request_takedown(
                session, [testimony.id], f"consent changed: {why}", now, ACTOR,
                targets=[publication.target],
            )  # fmt: skip


def _takedowns_pending(session: Session, campaign_id: str) -> set[int]:
    return set(
        session.scalars(
            select(Publication.testimony_id)
            .join(Testimony, Testimony.id == Publication.testimony_id)
            .where(
                Testimony.campaign_id == campaign_id,
                Publication.takedown_requested_at.is_not(None),
                Publication.state.not_in(SETTLED),
                # with an id the takedown names the reshare itself; without, recovery
                # looks for it among the testimony's copies
                Publication.external_id.is_(None),
            )
        )
    )
