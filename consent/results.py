"""What matching decided, and writing it: one row per post, the state of each testimony,
and an audit entry for each testimony whose state or form changed. Only what changed is
written, so matching again with nothing new writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, Text, insert, select, type_coerce
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from consent.index import Form, PostFacts
from db.bulk import execute_many, insert_rows, stored, update_many
from db.models import AuditEntry, ConsentMatch, Post, Testimony
from db.rows import plain_rows
from db.states import ConsentState

RANK = {
    ConsentState.REVOKED: 5,
    ConsentState.MATCHED: 4,
    ConsentState.GUARDIAN_REQUIRED: 3,
    ConsentState.NEEDS_CHECK: 2,
    ConsentState.NONE: 1,
}


# Each state as the plain str of its word, to hand to the driver: sqlite3 binds a str
# subclass (the StrEnum) only after looking for an adapter, half a microsecond a value,
# twice per post at a first match.
WORDS = {state: state.value for state in ConsentState}
ACTIONS = {state: f"consent.{state.value}" for state in ConsentState}  # audit actions
# a testimony's queue priority by its state (a matched one with problems: 2)
PRIORITY = {state: 2 for state in ConsentState} | {
    ConsentState.MATCHED: 0,
    ConsentState.NEEDS_CHECK: 1,
}


@dataclass
class MatchSummary:
    counts: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    joined: int = 0  # suggested links one form confirmed (consent/links.py)
    split: int = 0  # copies of another form taken out of a testimony
    reopened: int = 0  # approvals on a form the testimony no longer relies on (reopen.py)


def _reused_encoder() -> Callable[[Any], str]:
    """json.dumps with its defaults (how SQLAlchemy stores a JSON column), with its C encoder
    made once: json.dumps builds a new one per call, half the time of dumping one post's
    evidence, 100k times a first match. Where the C encoder is missing or does not write
    what json.dumps writes (another Python's signature), json.dumps itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    usual = json.JSONEncoder()
    try:
        encode = make(
            None,  # no circularity check: evidence is built here, of strings and lists
            usual.default,
            json.encoder.encode_basestring_ascii,
            None,
            usual.key_separator,
            usual.item_separator,
            False,
            False,
            True,
        )
    except TypeError:  # another Python's signature
        return json.dumps

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))

    probe = {"by": 'é\u2028"x"', "also_on_forms": ["R1"], "n": [1, 2.5, None, True]}
    return dumps if dumps(probe) == json.dumps(probe) else json.dumps


dumps = _reused_encoder()


@dataclass(slots=True)  # one a post: 100k without a __dict__ each
class Verdict:
    state: ConsentState
    record: Form | None
    evidence: dict[str, Any]
    score: float | None
    _text: str | None = None

    def evidence_text(self) -> str:
        """The evidence as stored (see as_text); a testimony's verdict is one of its posts'."""
        if self._text is None:
            self._text = dumps(self.evidence)
        return self._text


def as_text(column: Any) -> Any:
    """A JSON column as the text stored, to compare with json.dumps (how SQLAlchemy writes
    it) without decoding 100k documents. Text that differs only in spelling just means one
    needless rewrite; equal text is always equal evidence."""
    return sql_cast(column, Text).label(column.key)


def as_word(column: Any) -> Any:
    """A state column as the word stored, not its enum: a ConsentState equals its word
    (StrEnum), and making 100k enums from the words took longer than reading them."""
    return type_coerce(column, String).label(column.key)


# Writes go with values in stored form (db/bulk.py), on SQLite many rows a statement: the
# ORM's bulk paths split batches whenever a row's NULLs differ, and
# Core's per-value conversion costs seconds at 100k posts.
MATCHES = cast(Table, ConsentMatch.__table__)
TESTIMONIES = cast(Table, Testimony.__table__)
AUDIT = cast(Table, AuditEntry.__table__)
# in the tables' own column order: the driver takes the tuples as they are
MATCH_COLUMNS = ["post_id", "consent_id", "state", "evidence", "score", "matched_at"]
STATE_COLUMNS = [
    "id",
    *("consent_state", "consent_id", "consent_evidence", "consent_score", "priority"),
    "updated_at",
]
AUDIT_COLUMNS = [
    *("at", "actor", "action", "subject_type", "subject_id", "detail"),
    *("consent_id", "consent_version"),
]


@contextmanager
def indexes_rebuilt(session: Session, table: Table, rows: int) -> Iterator[None]:
    """On SQLite, while `rows` rows of `table` are rewritten: if they are half the table or
    more, its indexes are dropped first and made again from their own SQL afterwards, in
    the same transaction (a crash or an error rolls back drop and rewrite alike; readers
    see the old table until the commit). Sorting the whole table once per index costs
    about a third of keeping five indexes in step row by row (the first match rewrites
    every testimony: 1.2 s of its UPDATE's 1.8 s CPU at 100k went to the indexes). Fewer
    rows: maintained in place, as elsewhere. PostgreSQL: DDL would lock out the queue's
    readers, so nothing changes. An error inside leaves the indexes to the rollback that
    must follow it (db.session.transaction): SQLite may have rolled back already, and
    making them again then would run outside any transaction."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or rows == 0:
        yield
        return
    # pysqlite opens its transaction at the first INSERT, UPDATE or DELETE and runs DDL
    # before that on its own, committed at once: a drop must never stand outside the
    # rewrite's transaction (the match has written its results before it gets here)
    if not getattr(connection.connection.dbapi_connection, "in_transaction", False):
        yield
        return
    total = connection.exec_driver_sql(f"SELECT count(*) FROM {table.name}").scalar_one()
    if 2 * rows < total:
        yield
        return
    # autoindexes (UNIQUE, PRIMARY KEY) have no SQL and stay; the others come back in
    # their order, under their names, with the planner's statistics if ANALYZE kept any
    indexes = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY rowid",
        (table.name,),
    ).all()
    names = [name for name, _ in indexes]
    analysed = set(
        connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sqlite_stat%'"
        ).scalars()
    )
    if analysed - {"sqlite_stat1"}:  # samples (STAT4 builds) are not worth keeping by hand
        yield
        return
    statistics = (
        connection.exec_driver_sql(
            "SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = ?", (table.name,)
        ).all()
        if analysed
        else []
    )
    for name in names:
        quoted = name.replace('"', '""')
        connection.exec_driver_sql(f'DROP INDEX "{quoted}"')
    yield
    for _, sql in indexes:
        connection.exec_driver_sql(sql)
    kept = [tuple(row) for row in statistics if row[1] in names]
    if kept:
        connection.exec_driver_sql(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", kept
        )


def insert_all(session: Session, table: Table, columns: list[str], rows: list[Any]) -> None:
    """Insert `rows` (values of `columns`, stored form), on SQLite a few hundred a statement
    (db.bulk.insert_rows), and there, when they are half the table or more (every post's
    match at the first match, an audit entry per testimony), with the table's indexes made
    afterwards from sorted keys, not kept in step row by row (indexes_rebuilt). At the first
    match of 100k posts the audit entries took 0.29 s CPU instead of 0.54 s (their index is
    on the testimony id as text: random places), the matches 0.66 s instead of 0.71 s. The
    first row goes in on its own: it opens pysqlite's transaction, which the drop must stand
    inside."""
    if not rows:
        return
    execute_many(session, insert(table), columns, rows[:1])
    with indexes_rebuilt(session, table, len(rows) - 1):
        insert_rows(session, table, columns, rows[1:])


def write_matches(
    session: Session, loaded: LoadedCampaign, verdicts: dict[int, Verdict], now: datetime
) -> None:
    """One consent_matches row per post: inserted the first time, rewritten when it changed."""
    existing = {
        post_id: (match_id, state, consent_id, evidence)
        for post_id, match_id, state, consent_id, evidence in plain_rows(
            session.connection(),
            select(
                ConsentMatch.post_id,
                ConsentMatch.id,
                as_word(ConsentMatch.state),
                ConsentMatch.consent_id,
                as_text(ConsentMatch.evidence),
            )
            .join(Post, Post.id == ConsentMatch.post_id)
            .where(Post.campaign_id == loaded.id),
        )
    }
    stamp = stored(session, MATCHES.c.matched_at, now)
    inserts, updates = [], []
    for post_id, verdict in verdicts.items():
        consent_id = verdict.record.id if verdict.record else None
        evidence = verdict.evidence_text()
        word = WORDS[verdict.state]
        old = existing.get(post_id)
        if old is None:
            inserts.append((post_id, consent_id, word, evidence, verdict.score, stamp))
        elif old[1:] != (word, consent_id, evidence):
            updates.append((old[0], consent_id, word, evidence, verdict.score, stamp))
    insert_all(session, MATCHES, MATCH_COLUMNS, inserts)
    update_many(session, MATCHES, ["id", *MATCH_COLUMNS[1:]], updates)


def write_testimonies(
    session: Session,
    loaded: LoadedCampaign,
    posts: list[PostFacts],
    verdicts: dict[int, Verdict],
    now: datetime,
) -> MatchSummary:
    """Each testimony takes its strongest post's verdict (a revoked form wins over all);
    its queue priority follows: 0 matched and no problems, 1 needs-check, 2 the rest."""
    best: dict[int, Verdict] = {}
    problems: set[int] = set()
    for post in posts:
        if (tid := post.testimony_id) is None:
            continue
        verdict = verdicts[post.id]
        if post.problems:
            problems.add(tid)
        if (held := best.get(tid)) is None or RANK[verdict.state] > RANK[held.state]:
            best[tid] = verdict
    current = {
        tid: (state, consent_id, priority, evidence)
        for tid, state, consent_id, priority, evidence in plain_rows(
            session.connection(),
            select(
                Testimony.id,
                as_word(Testimony.consent_state),
                Testimony.consent_id,
                Testimony.priority,
                as_text(Testimony.consent_evidence),
            ).where(Testimony.campaign_id == loaded.id),
        )
    }
    summary = MatchSummary()
    stamp = stored(session, TESTIMONIES.c.updated_at, now)
    details: dict[tuple[str, str | None], str] = {}  # a handful of distinct ones: dump once
    updates, audits = [], []
    counts = summary.counts
    for tid, verdict in best.items():
        state, record = verdict.state, verdict.record
        counts[state] = counts.get(state, 0) + 1
        if (priority := PRIORITY[state]) == 0 and tid in problems:
            priority = 2
        consent_id = record.id if record else None
        evidence = verdict.evidence_text()
        word = WORDS[state]
        if (old := current.get(tid)) is None or old == (word, consent_id, priority, evidence):
            continue
        updates.append((tid, word, consent_id, evidence, verdict.score, priority, stamp))
        if old[:2] != (word, consent_id):
            key = (old[0], verdict.evidence.get("by"))
            if (detail := details.get(key)) is None:
                detail = details[key] = json.dumps({"from": key[0], "evidence": key[1]})
            version = record.version if record else None
            action = ACTIONS[state]
            audits.append(
                (stamp, "matcher", action, "testimony", str(tid), detail, consent_id, version)
            )
    del current  # 100k rows less held while the database works
    with indexes_rebuilt(session, TESTIMONIES, len(updates)):
        update_many(session, TESTIMONIES, STATE_COLUMNS, updates)
    insert_all(session, AUDIT, AUDIT_COLUMNS, audits)
    summary.changed = len(updates)
    return summary
