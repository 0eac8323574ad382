"""Rows read as plain tuples (db/rows.py) hold what Core's rows hold, on SQLite and
PostgreSQL: values a column type converts (JSON, enum, boolean, date) converted alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from consent.index import FORM_COLUMNS
from db.models import Campaign, ConsentRecord
from db.rows import plain_rows
from db.states import FormState

NOW = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def _form(response_id: str, **values: object) -> ConsentRecord:
    base: dict[str, object] = {
        "campaign_id": "c",
        "response_id": response_id,
        "video_urls": [],
        "consent_scope": ["website"],
        "source_file": "f.csv",
        "source_row": 2,
        "row_hash": response_id,
        "imported_at": NOW,
        "history": [],
    }
    return ConsentRecord(**{**base, **values})


def test_plain_rows_equal_core_rows(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(Campaign(id="c", name="c", created_at=NOW))
        session.flush()
        session.add_all(
            [
                _form(
                    "R1",
                    full_name="Zoë Ada",
                    date_of_birth=date(2010, 2, 3),
                    guardian_signed=True,
                    video_urls=["https://youtu.be/abcdefghijk", "é"],
                    state=FormState.REVOKED,
                    x_handle="@zoe",
                ),
                _form("R2", guardian_signed=False),
            ]
        )
    statement = select(*FORM_COLUMNS, ConsentRecord.imported_at).order_by(ConsentRecord.id)
    with sessions() as session:
        connection = session.connection()
        core = [tuple(row) for row in connection.execute(statement).all()]
        plain = plain_rows(connection, statement)
        empty = plain_rows(connection, statement.where(ConsentRecord.id < 0))
    assert plain == core
    assert [type(value) for value in plain[0]] == [type(value) for value in core[0]]
    assert plain[0][FORM_COLUMNS.index(ConsentRecord.state)] is FormState.REVOKED
    assert empty == []


def test_rows_of_columns_without_conversion_come_as_the_driver_gives_them(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        session.add(Campaign(id="c", name="c", created_at=NOW))
        session.flush()
        session.add(_form("R1", full_name="Ada"))
    with sessions() as session:
        rows = plain_rows(session.connection(), select(ConsentRecord.id, ConsentRecord.full_name))
    assert rows == [(1, "Ada")]
    assert type(rows[0]) is tuple
