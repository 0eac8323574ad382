"""Rows written in stored form (db/bulk.py) read back exactly as rows the ORM wrote, on
SQLite and PostgreSQL; a big page cache for one piece of work is given back after it, and
so are bulk_writes' settings."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from db import models
from db.bulk import BULK_CHECKPOINT_PAGES, bulk_writes, execute_many, stored, update_many
from db.models import AuditEntry, Campaign
from db.session import large_page_cache

NOW = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
AUDIT = AuditEntry.__table__
TESTIMONIES = models.Testimony.__table__


def _campaign_with_testimonies(session: Session, count: int) -> None:
    session.add(Campaign(id="c", name="c", created_at=NOW))
    session.flush()
    session.add_all(
        models.Testimony(id=n, campaign_id="c", created_at=NOW, updated_at=NOW)
        for n in range(1, count + 1)
    )
    session.flush()


def test_inserted_rows_read_back_like_orm_rows(sessions: sessionmaker[Session]) -> None:
    detail = {"from": "none", "evidence": "video_url", "note": "Zoë «quoted» 'x'"}
    with sessions.begin() as session:
        session.add(
            AuditEntry(
                at=NOW, actor="orm", action="a", subject_type="t", subject_id="1", detail=detail
            )
        )
        session.flush()
        columns = ["at", "actor", "action", "subject_type", "subject_id", "detail", "consent_id"]
        stamp = stored(session, AUDIT.c.at, NOW)  # type: ignore[attr-defined]
        rows = [(stamp, "bulk", "a", "t", str(n), json.dumps(detail), None) for n in range(3)]
        execute_many(session, insert(AUDIT), columns, rows)
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.actor for e in entries] == ["orm", "bulk", "bulk", "bulk"]
    assert {(e.at, json.dumps(e.detail, sort_keys=True)) for e in entries} == {
        (NOW, json.dumps(detail, sort_keys=True))
    }


def test_columns_in_any_order_land_in_their_columns(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        stamp = stored(session, AUDIT.c.at, NOW)  # type: ignore[attr-defined]
        columns = ["subject_id", "detail", "actor", "at", "subject_type", "action"]
        execute_many(session, insert(AUDIT), columns, [("7", "{}", "me", stamp, "post", "act")])
    with sessions() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.subject_id, entry.actor, entry.subject_type, entry.action) == (
        "7",
        "me",
        "post",
        "act",
    )


def test_update_many_sets_only_the_rows_named(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _campaign_with_testimonies(session, 5)
        later = stored(session, TESTIMONIES.c.updated_at, datetime(2026, 6, 1, tzinfo=UTC))  # type: ignore[attr-defined]
        evidence: dict[str, Any] = {"by": "handle", "value": "@zoë"}
        columns = ["id", "consent_state", "consent_evidence", "priority", "updated_at"]
        rows = [
            (2, "matched", json.dumps(evidence), 0, later),
            (4, "needs-check", json.dumps({}), 1, later),
        ]
        update_many(session, TESTIMONIES, columns, rows)  # type: ignore[arg-type]
    with sessions() as session:
        found = {t.id: t for t in session.scalars(select(models.Testimony))}
    assert (found[2].consent_state, found[2].consent_evidence, found[2].priority) == (
        "matched",
        evidence,
        0,
    )
    assert (found[4].consent_state, found[4].consent_evidence, found[4].priority) == (
        "needs-check",
        {},
        1,
    )
    assert found[2].updated_at == datetime(2026, 6, 1, tzinfo=UTC)
    untouched = [found[n] for n in (1, 3, 5)]
    assert all((t.consent_state, t.priority, t.updated_at) == ("none", 2, NOW) for t in untouched)


def test_nothing_to_write_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        execute_many(session, insert(AUDIT), ["actor"], [])
        update_many(session, TESTIMONIES, ["id", "priority"], [])  # type: ignore[arg-type]
    with sessions() as session:
        assert session.scalars(select(AuditEntry)).all() == []


def test_a_large_page_cache_is_given_back(sqlite_url: str) -> None:
    from db.session import make_engine, make_session_factory

    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        usual = session.execute(text("PRAGMA cache_size")).scalar()
        with large_page_cache(session, 256):
            assert session.execute(text("PRAGMA cache_size")).scalar() == -256 * 1024
        assert session.execute(text("PRAGMA cache_size")).scalar() == usual
    engine.dispose()


def test_bulk_writes_bind_nulls_and_give_their_settings_back(sqlite_url: str) -> None:
    from db.session import make_engine

    engine = make_engine(sqlite_url)
    adapters = dict(sqlite3.adapters)
    with engine.connect() as connection:
        usual = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        connection.rollback()
        with bulk_writes(connection):
            pragma = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            assert pragma == BULK_CHECKPOINT_PAGES
            row = connection.exec_driver_sql("SELECT ?, typeof(?)", (None, None)).one()
            assert tuple(row) == (None, "null")
            connection.rollback()
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == usual
        connection.rollback()
    assert sqlite3.adapters == adapters
    engine.dispose()
