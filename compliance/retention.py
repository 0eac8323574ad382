"""Data minimisation: keep personal data only while there is a reason to.

- A post whose testimony never matched a consent form keeps, after
  `compliance.purge_unmatched_after_days`, only its ids, URL and rule results; a request
  we sent under it loses its text (it greeted the poster by name), so `ask` sends no
  reminder from it.
- A person who withdrew consent: once every reshare of their testimonies is taken down,
  their form's personal fields and the stored copies of their posts are purged. The audit
  trail (ids, states, the form's response id and version) remains as the proof.
- A poster who withdrew by reply to our request (with or without a form): the same, for the
  testimony asked; the request keeps its code, states and the reply's id as the proof, and
  loses its text (it greeted the poster by name).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from compliance.purge import purge_consent, purge_post
from compliance.summary import ComplianceSummary
from config.clock import Clock
from config.schema import LoadedCampaign
from db import audit
from db.models import ConsentMatch, ConsentRecord, ConsentRequest, Post, Publication, Testimony
from db.outbox import request_takedown
from db.session import transaction
from db.states import LIVE_PUBLICATION, ConsentState, FormState, RequestState, ReviewState

ACTOR = "compliance"
CHUNK = 500


def purge_unmatched(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    summary: ComplianceSummary,
) -> None:
    days = loaded.settings.compliance.purge_unmatched_after_days
    now = clock.now()
    cutoff = now - timedelta(days=days)
    query = (
        select(Post)
        .outerjoin(Testimony, Testimony.id == Post.testimony_id)
        .where(
            Post.campaign_id == loaded.id,
            Post.purged_at.is_(None),
            Post.harvested_at <= cutoff,
            # never matched: no testimony, or one still without consent and not approved
            or_(
                Post.testimony_id.is_(None),
                (Testimony.consent_state == ConsentState.NONE)
                & (Testimony.review_state != ReviewState.APPROVED),
            ),
        )
        .order_by(Post.id)
        .limit(CHUNK)
    )
    while True:
        with transaction(sessions) as session:
            posts = list(session.scalars(query))
            # our requests under them greeted the poster by name: the code and states stay
            for request in session.scalars(
                select(ConsentRequest).where(
                    ConsentRequest.post_id.in_([p.id for p in posts]), ConsentRequest.text != ""
                )
            ):
                request.text, request.updated_at = "", now
            for post in posts:
                purge_post(post, now)
                audit.record(
                    session,
                    at=now,
                    actor=ACTOR,
                    action="retention.minimised",
                    subject_type="post",
                    subject_id=post.id,
                    detail={
                        "platform": post.platform,
                        "native_id": post.native_id,
                        "why": f"no consent form matched within {days} days",
                    },
                )
        summary.minimised += len(posts)
        if len(posts) < CHUNK:
            return


def _testimony_ids(session: Session, record: ConsentRecord) -> list[int]:
    direct = set(session.scalars(select(Testimony.id).where(Testimony.consent_id == record.id)))
    via_posts = session.scalars(
        select(Post.testimony_id)
        .join(ConsentMatch, ConsentMatch.post_id == Post.id)
        .where(ConsentMatch.consent_id == record.id, Post.testimony_id.is_not(None))
    )
    return sorted(direct | {t for t in via_posts if t is not None})


def purge_withdrawn(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    summary: ComplianceSummary,
) -> None:
    with sessions() as session:
        record_ids = list(
            session.scalars(
                select(ConsentRecord.id).where(
                    ConsentRecord.campaign_id == loaded.id,
                    ConsentRecord.state == FormState.REVOKED,
                    ConsentRecord.personal_data_purged_at.is_(None),
                )
            )
        )
    for record_id in record_ids:
        with transaction(sessions) as session:
            _purge_one(session, session.get_one(ConsentRecord, record_id), clock.now(), summary)
    purge_withdrawn_by_reply(sessions, loaded, clock, summary)


def purge_withdrawn_by_reply(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    summary: ComplianceSummary,
) -> None:
    """Posters who answered our request with the withdrawal hashtag: no form may be behind
    it (a testimony never signed for is `revoked`, never `none`, so the never-matched
    minimisation does not reach it either)."""
    with sessions() as session:
        request_ids = list(
            session.scalars(
                select(ConsentRequest.id).where(
                    ConsentRequest.campaign_id == loaded.id,
                    ConsentRequest.state == RequestState.WITHDRAWN,
                    ConsentRequest.text != "",
                )
            )
        )
    for request_id in request_ids:
        with transaction(sessions) as session:
            request = session.get_one(ConsentRequest, request_id)
            testimony = session.get_one(Testimony, request.testimony_id)
            forms = {i for i in (request.consent_id, testimony.consent_id) if i is not None}
            if any(
                (r := session.get_one(ConsentRecord, i)).state == FormState.REVOKED
                and r.personal_data_purged_at is None
                for i in forms
            ):
                continue  # the revoked form's purge above covers it (or waits for it)
            posts = _purge_testimonies(session, [request.testimony_id], clock.now(), summary)
            if posts is None:
                continue  # its greeting went with the posts (_purge_testimonies)
            audit.record(
                session,
                at=clock.now(),
                actor=ACTOR,
                action="retention.withdrawn-purged",
                subject_type="consent-request",
                subject_id=request.id,
                detail={
                    "withdrawn_post_id": request.withdrawn_post_id,
                    "testimonies": [request.testimony_id],
                    "posts": posts,
                },
            )
            summary.withdrawn_purged += 1


def _purge_testimonies(
    session: Session, testimonies: list[int], now: datetime, summary: ComplianceSummary
) -> list[int] | None:
    """Purge the stored copies of these testimonies, once no reshare of them is out: the
    purged post ids, or None while a takedown is still waiting (asked for here if not yet)."""
    live = list(
        session.scalars(
            select(Publication).where(
                Publication.testimony_id.in_(testimonies),
                Publication.state.in_(LIVE_PUBLICATION),
                Publication.taken_down_at.is_(None),
            )
        )
    )
    unasked = [p.testimony_id for p in live if p.takedown_requested_at is None]
    if unasked:  # withdrawn but something still out there without a takedown asked for
        summary.takedowns_requested += len(
            request_takedown(session, sorted(set(unasked)), "consent withdrawn", now, ACTOR)
        )
    if live:
        summary.withdrawn_waiting += 1
        return None
    posts = list(session.scalars(select(Post).where(Post.testimony_id.in_(testimonies))))
    for post in posts:
        if post.purged_at is None:
            purge_post(post, now)
    for testimony in session.scalars(select(Testimony).where(Testimony.id.in_(testimonies))):
        testimony.consent_evidence = None
        testimony.updated_at = now
    for match in session.scalars(
        select(ConsentMatch).where(ConsentMatch.post_id.in_([p.id for p in posts]))
    ):
        match.evidence = {"purged": True}
    # our requests greeted the poster by name: the code, states and ids stay as the proof
    for request in session.scalars(
        select(ConsentRequest).where(ConsentRequest.testimony_id.in_(testimonies))
    ):
        request.text, request.updated_at = "", now
    return [p.id for p in posts]


def _purge_one(
    session: Session, record: ConsentRecord, now: datetime, summary: ComplianceSummary
) -> None:
    testimonies = _testimony_ids(session, record)
    posts = _purge_testimonies(session, testimonies, now, summary)
    if posts is None:
        return
    purge_consent(record, now)
    audit.record(
        session,
        at=now,
        actor=ACTOR,
        action="retention.withdrawn-purged",
        subject_type="consent",
        subject_id=record.id,
        detail={
            "response_id": record.response_id,
            "testimonies": testimonies,
            "posts": posts,
        },
        consent=record,
    )
    summary.withdrawn_purged += 1
