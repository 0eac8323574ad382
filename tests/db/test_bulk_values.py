"""Rows written many a statement (db.bulk.insert_rows and update_many, on SQLite) land as
db/bulk.py's executemany and temporary table leave them, on SQLite and PostgreSQL, across
several batches and a last short one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, sessionmaker

from db import bulk, models
from db.bulk import execute_many, insert_rows, stored, update_many, update_through_table
from db.models import AuditEntry, Campaign

NOW = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
AUDIT = cast(Table, AuditEntry.__table__)
TESTIMONIES = cast(Table, models.Testimony.__table__)
AUDIT_COLUMNS = ["at", "actor", "action", "subject_type", "subject_id", "detail", "consent_id"]
STATE_COLUMNS = ["id", "consent_state", "consent_evidence", "consent_score", "priority"]
# more than one batch of 7 columns (999 parameters: 142 rows), and a last short one
COUNT = 2 * (bulk.PARAMETERS // len(AUDIT_COLUMNS)) + 5


def _audit_rows(session: Session, actor: str) -> list[tuple[Any, ...]]:
    stamp = stored(session, AUDIT.c.at, NOW)
    detail = json.dumps({"note": "Zoë «quoted» 'x'", "n": 1.5})
    return [(stamp, actor, "a", "t", str(n), detail, None) for n in range(COUNT)]


def _entries(sessions: sessionmaker[Session], actor: str) -> list[tuple[Any, ...]]:
    with sessions() as session:
        rows = session.execute(
            select(
                AuditEntry.at,
                AuditEntry.action,
                AuditEntry.subject_type,
                AuditEntry.subject_id,
                AuditEntry.detail,
                AuditEntry.consent_id,
            )
            .where(AuditEntry.actor == actor)
            .order_by(AuditEntry.id)
        ).all()
    return [tuple(row) for row in rows]


def test_inserted_rows_equal_executemany_rows(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        execute_many(session, insert(AUDIT), AUDIT_COLUMNS, _audit_rows(session, "many"))
        insert_rows(session, AUDIT, AUDIT_COLUMNS, _audit_rows(session, "batched"))
        insert_rows(session, AUDIT, AUDIT_COLUMNS, [])
    assert len(_entries(sessions, "batched")) == COUNT
    assert _entries(sessions, "batched") == _entries(sessions, "many")


def test_rows_with_shared_values_equal_executemany_rows(
    sessions: sessionmaker[Session],
) -> None:
    """The values every row shares, bound once a statement, land in every row, in the
    order the rows were given (their ids follow it)."""
    own = ["subject_id", "detail", "consent_id"]
    with sessions.begin() as session:
        rows = _audit_rows(session, "shared")
        execute_many(session, insert(AUDIT), AUDIT_COLUMNS, _audit_rows(session, "many"))
        shared = dict(zip(["at", "actor", "action", "subject_type"], rows[0], strict=False))
        insert_rows(session, AUDIT, own, [row[4:] for row in rows], shared)
    assert len(_entries(sessions, "shared")) == COUNT
    assert _entries(sessions, "shared") == _entries(sessions, "many")


def _testimonies(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with sessions() as session:
        rows = session.execute(
            select(
                models.Testimony.id,
                models.Testimony.consent_state,
                models.Testimony.consent_evidence,
                models.Testimony.consent_score,
                models.Testimony.priority,
                models.Testimony.updated_at,
            ).order_by(models.Testimony.id)
        ).all()
    return [tuple(row) for row in rows]


def test_updated_rows_equal_temporary_table_rows(sessions: sessionmaker[Session]) -> None:
    # testimonies 1..2N changed through a temporary table, 2N+1..4N the same way by update_many
    span = 2 * COUNT
    with sessions.begin() as session:
        session.add(Campaign(id="c", name="c", created_at=NOW))
        session.flush()
        session.execute(
            insert(models.Testimony),
            [
                {"id": n, "campaign_id": "c", "created_at": NOW, "updated_at": NOW}
                for n in range(1, 2 * span + 1)
            ],
        )

    def changes(offset: int) -> list[tuple[Any, ...]]:
        return [  # every other one, the first two batches' worth and a few
            (offset + n, "matched", json.dumps({"by": "é", "n": n}), n % 4 or None, n % 3)
            for n in range(1, span + 1, 2)
        ]

    with sessions.begin() as session:
        update_through_table(session, TESTIMONIES, STATE_COLUMNS, changes(0))
        update_many(session, TESTIMONIES, STATE_COLUMNS, changes(span))
        update_many(session, TESTIMONIES, STATE_COLUMNS, [])
    rows = _testimonies(sessions)
    many, batched_rows = rows[:span], rows[span:]
    assert [row[1:] for row in batched_rows] == [row[1:] for row in many]
    assert sum(1 for row in batched_rows if row[1] == "matched") == COUNT
