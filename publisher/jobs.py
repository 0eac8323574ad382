"""Turning an outbox row into a Job, and the check made at the moment of publishing.

A job carries only the copies that may go out (db/copies.py): each with its own evidence
naming the testimony's form and keeping the campaign rules (or overridden at approval).
A copy linked to the testimony whose account another form names, or nothing names, is
never handed to a target, so no target can reshare it, link to it or quote its words.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from db.copies import (
    check_copies,
    opt_in_stand_in,
    reshareable,
    scope_refusal,
    target_refusal,
)
from db.models import ConsentRecord, Decision, Post, Publication, Testimony
from publisher.common import Copy, Job, first_name_of


def build_job(
    session: Session, loaded: LoadedCampaign, row: Publication, every_copy: bool = False
) -> Job:
    """The job for `row`, with the copies that may go out; `every_copy` only for finding or
    taking down what went out before (a crashed run, a withdrawal): nothing is posted."""
    testimony = session.get_one(Testimony, row.testimony_id)
    record = session.get(ConsentRecord, testimony.consent_id) if testimony.consent_id else None
    going = {c.post_id for c in reshareable(check_copies(session, testimony, loaded.settings))}
    posts = [
        p
        for p in session.scalars(
            select(Post)
            .where(Post.testimony_id == row.testimony_id)
            .order_by(Post.published_at, Post.id)
        ).all()
        if every_copy or p.id in going
    ]
    copies = [
        Copy(
            p.platform, p.native_id, p.url, p.text, p.author_handle or p.author_name, p.source_state
        )
        for p in posts
    ]
    first = first_name_of(
        record.full_name
        if record and record.full_name
        else ((posts[0].author_name or posts[0].author_handle) if posts else None)
    )
    extra: dict[str, object] = {}
    external = row.external_id or ""
    if external.startswith("container:"):
        extra["container"] = external.split(":", 1)[1]
    elif external.startswith("publish:"):
        extra["publish_id"] = external.split(":", 1)[1]
    if row.external_url:
        extra["external_url"] = row.external_url
    held: frozenset[str] = frozenset()
    if every_copy or "container" in extra:  # the post may be out already: who holds what
        held = frozenset(
            session.scalars(
                select(Publication.external_id).where(
                    Publication.target == row.target,
                    Publication.id != row.id,
                    Publication.external_id.is_not(None),
                )
            )
        )
    return Job(
        publication_id=row.id,
        testimony_id=row.testimony_id,
        target=row.target,
        key=row.idempotency_key,
        copies=copies,
        first_name=first,
        city=(record.city if record else None) or "",
        country=(record.country if record else None) or "",
        role=testimony.role,
        question=testimony.question,
        video_file=record.video_file if record else None,
        hashtags=list(loaded.settings.campaign.hashtags),
        external_id=row.external_id,
        extra=extra,
        held_elsewhere=held,
    )


def why_not_now(
    session: Session, loaded: LoadedCampaign, row: Publication, now: datetime
) -> str | None:
    """Consent, scope and every copy are checked again when publishing, not only at
    approval: the form may have been revoked, a copy matched again to another form."""
    testimony = session.get_one(Testimony, row.testimony_id)
    if testimony.review_state != "approved":
        return f"no longer approved ({testimony.review_state})"
    record = session.get(ConsentRecord, testimony.consent_id) if testimony.consent_id else None
    # an opt-in by reply standing in for a form, where the campaign allows one (db/copies.py)
    stand_in = opt_in_stand_in(session, testimony, loaded.settings)[0] if record is None else None
    if testimony.consent_state != "matched" and stand_in is None:
        overridden = session.scalar(
            select(Decision.override)
            .where(Decision.testimony_id == testimony.id, Decision.action == "approve")
            .order_by(Decision.id.desc())
            .limit(1)
        )
        if testimony.consent_state in ("revoked", "guardian-required") or not overridden:
            return f"consent is {testimony.consent_state}"
    reason = scope_refusal(record, stand_in, row.target, now)
    if reason:
        return reason
    gone = session.scalar(
        select(Post.source_state)
        .where(Post.testimony_id == testimony.id, Post.source_state != "available")
        .limit(1)
    )
    if gone:
        return f"the source post is {gone}"
    return target_refusal(check_copies(session, testimony, loaded.settings), row.target)
