"""Which copies share a testimony, decided with the forms in hand.

Harvesting only suggests that a post belongs with another testimony (same words within a
few days, or a link to its video: harvester/linking.py). Here, after each post has its own
verdict, a suggestion is followed only when one form names both accounts directly (video
URL, stable account id or handle, claimed by no other form), and only while neither
testimony has a decision or a publication. A testimony that holds copies whose accounts
different forms name (stored before this rule, or a form re-imported since) is split:
each other form's copies become a testimony of their own, pending review. Consent is never
carried from one account to another by a link; db/copies.py checks each copy anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from consent.index import PostFacts
from consent.results import Verdict
from consent.unbacked import take_down_unbacked
from db import audit
from db.models import Decision, Post, Publication, Testimony
from db.states import ConsentState, ReviewState

DIRECT = {"video_url", "account_id", "handle", "account_id_renamed"}


def direct_form(verdict: Verdict | None) -> int | None:
    """The form a post's own evidence names directly (not a likeness, not disputed)."""
    if verdict is None or verdict.record is None or verdict.state == ConsentState.NEEDS_CHECK:
        return None
    if verdict.evidence.get("by") not in DIRECT or "also_on_forms" in verdict.evidence:
        return None
    return verdict.record.id


@dataclass
class LinkSummary:
    joined: int = 0
    split: int = 0


def settle_links(
    session: Session,
    loaded: LoadedCampaign,
    posts: list[PostFacts],
    verdicts: dict[int, Verdict],
    now: datetime,
) -> tuple[list[PostFacts], LinkSummary]:
    """Split testimonies whose copies different forms name, join suggested links that one
    form confirms; the posts with their testimony as it now is."""
    summary = LinkSummary()
    where = {p.id: p.testimony_id for p in posts if p.testimony_id is not None}
    members: dict[int, list[int]] = defaultdict(list)
    for post_id, tid in where.items():
        members[tid].append(post_id)

    def form(post_id: int) -> int | None:
        return direct_form(verdicts.get(post_id))

    # what went out on a copy that another form (or none) now names comes down first; such
    # a testimony is split once its takedowns are done (they need the copy where it is)
    held = take_down_unbacked(session, loaded, now)
    _split(session, loaded, members, where, form, now, summary, held)
    _join(session, loaded, members, where, form, now, summary)
    if summary.joined or summary.split:
        posts = [p._replace(testimony_id=where.get(p.id, p.testimony_id)) for p in posts]
    return posts, summary


def _split(
    session: Session,
    loaded: LoadedCampaign,
    members: dict[int, list[int]],
    where: dict[int, int],
    form: Callable[[int], int | None],
    now: datetime,
    summary: LinkSummary,
    held: set[int],
) -> None:
    mixed = {
        tid: ids
        for tid, ids in members.items()
        # one copy names one form at most: most testimonies need no look at their verdicts
        if len(ids) > 1
        and tid not in held
        and len({f for i in ids if (f := form(i)) is not None}) > 1
    }
    if not mixed:
        return
    current = dict(
        session.execute(
            select(Testimony.id, Testimony.consent_id).where(Testimony.id.in_(list(mixed)))
        ).all()
    )
    for tid, ids in mixed.items():
        ids.sort()
        forms = [f for i in ids if (f := form(i)) is not None]
        # the form the testimony relies on (an approval may name it) stays; else the first
        keep = current.get(tid) if current.get(tid) in forms else forms[0]
        for other in dict.fromkeys(f for f in forms if f != keep):
            moving = [i for i in ids if form(i) == other]
            new_tid = _new_testimony(session, loaded, tid, now)
            _move(session, moving, new_tid, {"testimony_id": tid, "by": "split_other_form"})
            _trail(session, now, "link.split", new_tid, {"from": tid, "posts": moving})
            for post_id in moving:
                where[post_id] = new_tid
                members[tid].remove(post_id)
            members[new_tid] = moving
            summary.split += 1


def _join(
    session: Session,
    loaded: LoadedCampaign,
    members: dict[int, list[int]],
    where: dict[int, int],
    form: Callable[[int], int | None],
    now: datetime,
    summary: LinkSummary,
) -> None:
    hints = {
        post_id: hint
        for post_id, hint in session.execute(
            select(Post.id, Post.link_suggestion).where(
                Post.campaign_id == loaded.id, Post.link_suggestion.is_not(None)
            )
        )
        if isinstance(hint, dict) and hint.get("testimony_id") and not hint.get("joined")
    }
    if not hints:
        return
    involved = {where[p] for p in hints if p in where} | {
        int(h["testimony_id"]) for h in hints.values()
    }
    busy = _decided(session, involved)
    for post_id, hint in sorted(hints.items()):
        source, target = where.get(post_id), int(hint["testimony_id"])
        if source is None or source == target or target not in members:
            continue
        if source in busy or target in busy or not members[target]:
            continue
        wanted = form(post_id)
        both = members[source] + members[target]
        # every copy of both is tied, directly, to this one form: the same person
        if wanted is None or any(form(i) != wanted for i in both):
            continue
        moving = list(members[source])
        _move(session, moving, target, {**hint, "joined": True})
        session.execute(delete(Testimony).where(Testimony.id == source))
        _trail(
            session, now, "link.joined", target, {"from": source, "posts": moving, "by": hint["by"]}
        )
        for i in moving:
            where[i] = target
        members[target].extend(moving)
        members[source] = []
        summary.joined += 1


def _decided(session: Session, tids: set[int]) -> set[int]:
    """Testimonies that a person has decided on or that have publications: left as they are."""
    if not tids:
        return set()
    ids = sorted(tids)
    busy = set(
        session.scalars(
            select(Testimony.id).where(
                Testimony.id.in_(ids), Testimony.review_state != ReviewState.PENDING
            )
        )
    )
    busy |= set(
        session.scalars(select(Decision.testimony_id).where(Decision.testimony_id.in_(ids)))
    )
    busy |= set(
        session.scalars(select(Publication.testimony_id).where(Publication.testimony_id.in_(ids)))
    )
    return busy


def _new_testimony(session: Session, loaded: LoadedCampaign, like: int, now: datetime) -> int:
    old = session.get_one(Testimony, like)
    table = cast(Table, Testimony.__table__)
    values: dict[str, Any] = {
        "campaign_id": loaded.id,
        "role": old.role,
        "question": old.question,
        "priority": 2,
        "created_at": now,
        "updated_at": now,
    }
    return int(session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def _trail(session: Session, now: datetime, action: str, tid: int, detail: dict[str, Any]) -> None:
    audit.record(
        session,
        at=now,
        actor="matcher",
        action=action,
        subject_type="testimony",
        subject_id=tid,
        detail=detail,  # ids only: no personal data in the trail
    )


def _move(session: Session, post_ids: list[int], tid: int, hint: dict[str, Any]) -> None:
    session.execute(
        update(Post)
        .where(Post.id.in_(post_ids))
        .values(testimony_id=tid, link_suggestion=hint)
        .execution_options(synchronize_session=False)
    )
