"""The review queue: testimonies, most actionable first, each with its platform copies."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypedDict, TypeVar

from sqlalchemy import Select, exists, func, select, tuple_
from sqlalchemy.orm import Session

from db.models import ConsentRecord, Post, Testimony
from db.states import ConsentState, ReviewState, SourceState

# source-gone: every copy was deleted at its source (compliance): out of the pending queue
STATUSES = (*ReviewState, "all")
CONSENT_STATES = tuple(ConsentState)


Query = TypeVar("Query", bound="Select[*tuple[Any, ...]]")


class PostRow(TypedDict):
    """One copy of a testimony, as the queue, the card and the review page show it."""

    post_id: int
    platform: str
    native_id: str
    url: str
    author: str | None
    author_id: str | None
    text: str  # "" in a light listing
    published_at: str | None  # ISO 8601
    duration_seconds: float | None
    problems: list[str]  # [] in a light listing
    source_state: SourceState
    media_type: str | None
    media_url: str | None


class CopyLink(TypedDict):
    platform: str
    native_id: str
    url: str


class QueueItem(TypedDict):
    """One testimony in the queue (`queue --json` prints these as they are): its first
    copy's facts, its states, its form's facts and every copy's link."""

    id: int
    platform: str
    native_id: str
    url: str
    author: str | None
    text: str
    published_at: str | None
    duration_seconds: float | None
    consent: ConsentState
    consent_id: str | None  # the form's response id
    review: ReviewState
    problems: list[str]
    role: str | None
    question: str | None
    city: str | None
    country: str | None
    first_name: str | None
    age: int | None
    platforms: list[str]
    copies: list[CopyLink]


def _filtered(
    query: Query,
    campaign_id: str,
    status: str,
    platform: str | None,
    consent: str | None,
    role: str | None,
    country: str | None,
) -> Query:
    # Several campaigns may share a database, and a participant signed for one of them:
    # whatever lists, counts or steps through testimonies sees its own campaign's only.
    query = query.where(Testimony.campaign_id == campaign_id)
    if status != "all":
        query = query.where(Testimony.review_state == status)
    if consent:
        query = query.where(Testimony.consent_state == consent)
    if role:
        query = query.where(Testimony.role == role)
    if country:
        query = query.where(
            Testimony.consent_id.in_(
                select(ConsentRecord.id).where(ConsentRecord.country == country)
            )
        )
    if platform:
        query = query.where(
            exists().where(Post.testimony_id == Testimony.id, Post.platform == platform)
        )
    return query


# "1000+ pending": past this many, neither the queue command nor the review page counts
# on (counting a million rows cost `queue` a seventh of its time at 1M posts).
COUNT_CAP = 1_000


def queue_total(
    session: Session,
    status: str = ReviewState.PENDING,
    platform: str | None = None,
    consent: str | None = None,
    role: str | None = None,
    country: str | None = None,
    *,
    campaign_id: str,
) -> str:
    """How many of campaign `campaign_id`'s testimonies list_queue would list without a
    limit, as staff read it (`queue`'s last line, the review page's listing): the count, or
    "1000+" once it reaches COUNT_CAP."""
    inner = _filtered(select(Testimony.id), campaign_id, status, platform, consent, role, country)
    counted = select(func.count()).select_from(inner.limit(COUNT_CAP).subquery())
    total = int(session.scalar(counted) or 0)
    return f"{total}+" if total >= COUNT_CAP else str(total)


def _after(session: Session, query: Query, after: int | None, campaign_id: str) -> Query:
    """Only what comes after testimony `after` in queue order (another campaign's id is
    no place in this campaign's queue: the listing then starts at its beginning)."""
    if after is None:
        return query
    here = session.scalar(
        select(Testimony.priority).where(
            Testimony.id == after, Testimony.campaign_id == campaign_id
        )
    )
    if here is None:
        return query
    return query.where(tuple_(Testimony.priority, Testimony.id) > tuple_(here, after))


def next_in_queue(
    session: Session,
    after: int,
    status: str = ReviewState.PENDING,
    platform: str | None = None,
    consent: str | None = None,
    role: str | None = None,
    country: str | None = None,
    *,
    campaign_id: str,
) -> int | None:
    """The testimony of campaign `campaign_id` after `after` in queue order, else its first
    one (the id alone: the review page's next card after a decision)."""
    base = _filtered(
        select(Testimony.id).order_by(Testimony.priority, Testimony.id),
        campaign_id,
        status,
        platform,
        consent,
        role,
        country,
    )
    found = session.scalar(_after(session, base, after, campaign_id).limit(1))
    if found is None:
        found = session.scalar(base.limit(1))
    return None if found is None else int(found)


def list_queue(
    session: Session,
    status: str = ReviewState.PENDING,
    platform: str | None = None,
    consent: str | None = None,
    limit: int | None = 50,
    role: str | None = None,
    country: str | None = None,
    after: int | None = None,
    light: bool = False,
    *,
    campaign_id: str,
) -> list[QueueItem]:
    """Campaign `campaign_id`'s queue in review order (the campaign is required: a database
    may hold several, and a listing never shows another's participants); `after` starts
    past that testimony (the next card).
    `light` leaves out each copy's text and problems (a listing beside a card shows who,
    where and which consent, and is read on every card of the review page)."""
    query = _filtered(
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
            ConsentRecord.age,
        )
        .outerjoin(ConsentRecord, ConsentRecord.id == Testimony.consent_id)
        .order_by(Testimony.priority, Testimony.id),
        campaign_id,
        status,
        platform,
        consent,
        role,
        country,
    )
    query = _after(session, query, after, campaign_id)
    if limit:
        query = query.limit(limit)
    rows = session.execute(query).all()
    copies = posts_of(session, [r.id for r in rows], light=light)
    items: list[QueueItem] = []
    for row in rows:
        posts = copies.get(row.id, [])
        if not posts:
            continue
        first = posts[0]
        problems = sorted({p for post in posts for p in post["problems"]})
        items.append(
            QueueItem(
                id=row.id,
                platform=first["platform"],
                native_id=first["native_id"],
                url=first["url"],
                author=first["author"],
                text=first["text"],
                published_at=first["published_at"],
                duration_seconds=first["duration_seconds"],
                consent=row.consent_state,
                consent_id=row.response_id,
                review=row.review_state,
                problems=problems,
                role=row.role,
                question=row.question,
                city=row.city,
                country=row.country,
                # the form's first word and age, for a reviewer's one-line view
                first_name=(row.full_name or "").split(" ", 1)[0] or None,
                age=row.age,
                # each platform once, even when a person posted twice on one of them
                platforms=list(dict.fromkeys(p["platform"] for p in posts)),
                copies=[
                    CopyLink(platform=p["platform"], native_id=p["native_id"], url=p["url"])
                    for p in posts
                ],
            )
        )
    return items


POST_COLUMNS = (
    Post.testimony_id,
    Post.id,
    Post.platform,
    Post.native_id,
    Post.url,
    Post.author_id,
    Post.author_handle,
    Post.author_name,
    Post.published_at,
    Post.duration_seconds,
    Post.source_state,
    Post.media_type,
    Post.media_url,
)


def posts_of(
    session: Session, testimony_ids: list[int], light: bool = False
) -> dict[int, list[PostRow]]:
    """Each testimony's copies; `light` without their text and problems."""
    if not testimony_ids:
        return {}
    found: dict[int, list[PostRow]] = defaultdict(list)
    columns = POST_COLUMNS if light else (*POST_COLUMNS, Post.text, Post.problems)
    rows = session.execute(
        select(*columns)
        .where(Post.testimony_id.in_(testimony_ids))
        .order_by(Post.published_at, Post.id)
    )
    for r in rows:
        found[r.testimony_id].append(
            PostRow(
                post_id=r.id,
                platform=r.platform,
                native_id=r.native_id,
                url=r.url,
                author=r.author_handle or r.author_name,
                author_id=r.author_id,
                text="" if light else r.text,
                published_at=r.published_at.isoformat() if r.published_at else None,
                duration_seconds=r.duration_seconds,
                problems=[] if light else list(r.problems or []),
                source_state=r.source_state,
                media_type=r.media_type,
                media_url=r.media_url,
            )
        )
    return found
