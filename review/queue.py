"""The review queue: testimonies, most actionable first, each with its platform copies."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.models import ConsentRecord, Post, Testimony

STATUSES = ("pending", "approved", "rejected", "held", "all")
CONSENT_STATES = ("none", "matched", "needs-check", "guardian-required", "revoked")


def list_queue(
    session: Session,
    status: str = "pending",
    platform: str | None = None,
    consent: str | None = None,
    limit: int | None = 50,
    campaign_id: str | None = None,
) -> list[dict[str, Any]]:
    query = (
        select(
            Testimony.id,
            Testimony.consent_state,
            Testimony.review_state,
            Testimony.role,
            Testimony.question,
            ConsentRecord.response_id,
            ConsentRecord.city,
            ConsentRecord.country,
            ConsentRecord.full_name,
        )
        .outerjoin(ConsentRecord, ConsentRecord.id == Testimony.consent_id)
        .order_by(Testimony.priority, Testimony.id)
    )
    if status != "all":
        query = query.where(Testimony.review_state == status)
    if consent:
        query = query.where(Testimony.consent_state == consent)
    if campaign_id:
        query = query.where(Testimony.campaign_id == campaign_id)
    if platform:
        query = query.where(
            exists().where(Post.testimony_id == Testimony.id, Post.platform == platform)
        )
    if limit:
        query = query.limit(limit)
    rows = session.execute(query).all()
    copies = posts_of(session, [r.id for r in rows])
    items = []
    for row in rows:
        posts = copies.get(row.id, [])
        if not posts:
            continue
        first = posts[0]
        problems = sorted({p for post in posts for p in post["problems"]})
        items.append(
            {
                "id": row.id,
                "platform": first["platform"],
                "native_id": first["native_id"],
                "url": first["url"],
                "author": first["author"],
                "text": first["text"],
                "published_at": first["published_at"],
                "duration_seconds": first["duration_seconds"],
                "consent": row.consent_state,
                "consent_id": row.response_id,
                "review": row.review_state,
                "problems": problems,
                "role": row.role,
                "question": row.question,
                "city": row.city,
                "country": row.country,
                # each platform once, even when a person posted twice on one of them
                "platforms": list(dict.fromkeys(p["platform"] for p in posts)),
                "copies": [{k: p[k] for k in ("platform", "native_id", "url")} for p in posts],
            }
        )
    return items


def posts_of(session: Session, testimony_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    if not testimony_ids:
        return {}
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = session.execute(
        select(
            Post.testimony_id,
            Post.id,
            Post.platform,
            Post.native_id,
            Post.url,
            Post.author_handle,
            Post.author_name,
            Post.text,
            Post.published_at,
            Post.duration_seconds,
            Post.problems,
            Post.source_state,
        )
        .where(Post.testimony_id.in_(testimony_ids))
        .order_by(Post.published_at, Post.id)
    )
    for r in rows:
        found[r.testimony_id].append(
            {
                "post_id": r.id,
                "platform": r.platform,
                "native_id": r.native_id,
                "url": r.url,
                "author": r.author_handle or r.author_name,
                "text": r.text,
                "published_at": r.published_at.isoformat() if r.published_at else None,
                "duration_seconds": r.duration_seconds,
                "problems": list(r.problems or []),
                "source_state": r.source_state,
            }
        )
    return found
