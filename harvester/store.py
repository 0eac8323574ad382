"""Storing a page: upsert by (campaign, platform, native id), provenance, rules, testimonies.

A page is stored in a few statements whatever its size (one look-up of what exists, one
for each way of linking, one bulk insert each for testimonies and posts): the harvest must
keep pace with a raw bulk insert of the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any, cast

from sqlalchemy import JSON, Insert, Table, bindparam, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from config.schema import LoadedCampaign
from db.bulk import execute_many
from db.models import Post, Testimony
from db.states import SourceState
from harvester.common import HarvestedPost, fingerprint
from harvester.linking import Links, Owner, linked_videos
from harvester.rules import PageRules

POSTS = cast(Table, Post.__table__)
# Built once, not for every page: SQLAlchemy works out a statement's cache key on its first
# run and keeps it, where building the statement again and its key cost more than running it.
STORED = select(Post).where(
    Post.campaign_id == bindparam("campaign"),
    Post.platform == bindparam("platform"),
    Post.native_id.in_(bindparam("ids", expanding=True)),
)
# its SQL is compiled once (db.bulk.execute_many keeps it), not for every page
POSTS_INSERT = insert(POSTS)
# the posts' JSON columns that hold lists of text (validate and the rules make them so)
TEXT_LISTS = frozenset({"hashtags", "mentions", "links", "problems"})


@dataclass(frozen=True)
class RunRef:
    """What a stored post records of the run that found it."""

    id: int
    platform: str
    query: str
    config_hash: str | None


@dataclass
class Stored:
    new: int = 0
    updated: int = 0
    skipped: int = 0


def store_posts(
    session: Session,
    loaded: LoadedCampaign,
    run: RunRef,
    posts: list[HarvestedPost],
    now: datetime,
) -> Stored:
    counts = Stored()
    unique = {p.native_id: p for p in posts}
    if not unique:
        return counts
    existing = {
        row.native_id: row
        for row in session.scalars(
            STORED, {"campaign": loaded.id, "platform": run.platform, "ids": list(unique)}
        )
    }
    rules = PageRules(loaded.settings)
    fresh: list[HarvestedPost] = []
    for native_id, item in unique.items():
        row = existing.get(native_id)
        if row is None:
            fresh.append(item)
        elif row.text != item.text and row.purged_at is None:
            # An edit: the new words, and the old ones kept with when we saw them change.
            row.edit_history = [*row.edit_history, {"text": row.text, "until": now.isoformat()}]
            row.text, row.hashtags, row.mentions = item.text, item.hashtags, item.mentions
            row.problems = rules.problems(item)
            row.raw, row.run_id, row.updated_at = item.raw, run.id, now
            counts.updated += 1
        else:
            counts.skipped += 1
    if not fresh:
        return counts
    marks = [fingerprint(item.body or item.text) for item in fresh]
    links = Links.load(
        session,
        loaded.id,
        [v for item in fresh for v in linked_videos(item.links)],
        [m for m in marks if m],
    )
    # Each fresh post is a testimony of its own (by its index in `owners`, until the
    # insert gives the ids); a stored one or one earlier in this page that it may belong to
    # is only suggested: the matcher joins them when one form names both accounts.
    roles = [rules.role(item.text) for item in fresh]
    owners: list[int | tuple[int]] = []
    suggested: list[tuple[Owner, str] | None] = []
    for item, mark in zip(fresh, marks, strict=True):
        suggested.append(links.find(item, mark))
        owner: Owner = (len(owners),)
        links.remember(item, mark, owner)
        owners.append(owner)
    ids = _insert_testimonies(session, loaded.id, now, roles)

    def testimony_of(owner: Owner) -> int:
        return ids[owner[0]] if isinstance(owner, tuple) else owner

    # Column by column: the values every new post of the page shares are converted once,
    # the others each through its column's own conversion (see _insert_posts).
    shared = {
        "campaign_id": loaded.id,
        "harvested_at": now,
        "updated_at": now,
        "source_state": SourceState.AVAILABLE,
        "query": run.query,
        "run_id": run.id,
        "config_hash": run.config_hash,
        "edit_history": [],
    }
    each: dict[str, list[Any]] = {
        "testimony_id": [testimony_of(owner) for owner in owners],
        "link_suggestion": [
            {"testimony_id": testimony_of(hint[0]), "by": hint[1]} if hint else None
            for hint in suggested
        ],
        "platform": [item.platform for item in fresh],
        "native_id": [item.native_id for item in fresh],
        "url": [item.url for item in fresh],
        "author_id": [item.author_id for item in fresh],
        "author_handle": [item.author_handle for item in fresh],
        "author_name": [item.author_name for item in fresh],
        "text": [item.text for item in fresh],
        "hashtags": [item.hashtags for item in fresh],
        "mentions": [item.mentions for item in fresh],
        "links": [item.links for item in fresh],
        "media_type": [item.media_type for item in fresh],
        "media_url": [item.media_url for item in fresh],
        "duration_seconds": [item.duration_seconds for item in fresh],
        "published_at": [item.published_at for item in fresh],
        "raw": [item.raw for item in fresh],
        "problems": [rules.problems(item) for item in fresh],
        "role": [role for role, _ in roles],
        "question": [question for _, question in roles],
        "fingerprint": marks,
    }
    _insert_posts(session, shared, each, [item.raw_json for item in fresh])
    counts.new += len(fresh)
    return counts


def _insert_posts(
    session: Session,
    shared: dict[str, Any],
    each: dict[str, list[Any]],
    raw_json: list[str | None],
) -> None:
    """One executemany of the new posts, in the stored form the driver takes (db/bulk.py):
    each value converted by its column's own type as SQLAlchemy's executemany would (a JSON
    document serialised, a timestamp made UTC and formatted for SQLite), but the values
    every row shares converted once and no parameter dict built and processed per row,
    which cost more than the database's own work. `raw_json`: the answers' JSON text where
    validate made it already (the same text; None: serialised here)."""
    dialect = session.get_bind().dialect
    columns = [c for c in POSTS.columns if c.name in shared or c.name in each]
    values: list[Iterable[Any]] = []
    for column in columns:
        convert = column.type.dialect_impl(dialect).bind_processor(dialect)
        if column.name in shared:
            value = shared[column.name]
            values.append(repeat(convert(value) if convert else value))
        elif column.name == "raw":
            values.append(
                [
                    text if text is not None else (convert(raw) if convert else raw)
                    for text, raw in zip(raw_json, each["raw"], strict=True)
                ]
            )
        elif convert is None:
            values.append(each[column.name])
        else:
            values.append(_converted(convert, each[column.name], column.name in TEXT_LISTS))
    rows = list(zip(*values, strict=False))  # the shared ones repeat without end
    execute_many(session, POSTS_INSERT, [c.name for c in columns], rows)


def _converted(convert: Callable[[Any], Any], given: list[Any], text_lists: bool) -> list[Any]:
    """Each value converted, each different one once (a conversion depends on the value
    alone): None, and for lists of text the same words (a page's posts carry a few sets of
    hashtags and problems between them, each serialised once)."""
    memo: dict[Any, Any] = {None: convert(None)}
    if not text_lists:
        null = memo[None]
        return [null if value is None else convert(value) for value in given]
    converted = []
    for value in given:
        key = None if value is None else tuple(value)
        made = memo.get(key, memo)
        if made is memo:
            made = memo[key] = convert(value)
        converted.append(made)
    return converted


def _insert_testimonies(
    session: Session, campaign_id: str, now: datetime, kinds: list[tuple[str | None, str | None]]
) -> list[int]:
    """The ids of new testimonies of the campaign, one a (role, question) of `kinds`, in
    its order, from one INSERT.

    The (role, question) pairs go to the database as one JSON list that the statement
    reads back row by row, in order, the other values given once: SQLAlchemy's multi-row
    INSERT converted every value of every row again, which cost more than the database's
    own work. Rows that differ in nothing but their id are interchangeable, so the ids are
    paired by (role, question) instead of by the order RETURNING gives them, which SQLite
    does not promise."""
    if not kinds:
        return []
    returned = session.execute(
        _testimonies_insert(session.get_bind().dialect.name),
        {"of_campaign": campaign_id, "at": now, "rows": [list(kind) for kind in kinds]},
    )
    free: dict[tuple[Any, Any], list[int]] = {}
    for id_, role, question in returned:
        free.setdefault((role, question), []).append(id_)
    for ids in free.values():
        ids.sort(reverse=True)  # popped from the end: the lowest id to the first row
    return [free[kind].pop() for kind in kinds]


TESTIMONIES = cast(Table, Testimony.__table__)
_TESTIMONIES_INSERTS: dict[str, Insert] = {}


def _testimonies_insert(dialect: str) -> Insert:
    """INSERT ... SELECT of one testimony a [role, question] pair of the JSON list `rows`,
    in the list's order; the other values shared (priority and the states are the columns'
    defaults, added by SQLAlchemy as for any insert). Reading a JSON list row by row is a
    function of each database's own."""
    if dialect not in _TESTIMONIES_INSERTS:
        rows = bindparam("rows", type_=JSON)
        role: ColumnElement[Any]
        question: ColumnElement[Any]
        if dialect == "sqlite":
            each = func.json_each(rows).table_valued("key", "value")
            role, question = (func.json_extract(each.c.value, f"$[{n}]") for n in (0, 1))
        else:  # PostgreSQL
            each = (
                func.json_array_elements(rows)
                .table_valued("value", with_ordinality="key")
                .render_derived()
            )
            role, question = (each.c.value.op("->>")(n) for n in (0, 1))
        t = TESTIMONIES.c
        _TESTIMONIES_INSERTS[dialect] = (
            insert(TESTIMONIES)
            .from_select(
                ["campaign_id", "role", "question", "created_at", "updated_at"],
                select(
                    bindparam("of_campaign", type_=t.campaign_id.type),
                    role,
                    question,
                    bindparam("at", type_=t.created_at.type),
                    bindparam("at", type_=t.updated_at.type),
                )
                .select_from(each)
                .order_by(each.c.key),
            )
            .returning(t.id, t.role, t.question)
        )
    return _TESTIMONIES_INSERTS[dialect]
