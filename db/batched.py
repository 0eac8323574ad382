"""On SQLite, writing a hundred thousand rows a few hundred per statement.

sqlite3's executemany runs its statement once per row: each run lets go of the GIL and
takes it back, and SQLite resets the statement and sets up its foreign key checks again.
One INSERT (or UPDATE ... FROM) of many rows, `VALUES (?, ?), (?, ?), ...`, does the same
writes a third cheaper: at the first match of 100k posts, the matches, the testimonies'
states and the audit entries all go this way. Rows hold values in stored form, as for
db.bulk, whose executemany and temporary table stay the way elsewhere (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.orm import Session

from db.bulk import execute_many, update_many

# SQLite builds before 3.32 take at most 999 parameters a statement (later: 32766)
PARAMETERS = 999


def _batched(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite" and connection.dialect.paramstyle == "qmark"


def _run(
    connection: Connection,
    sql: str,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """`sql` (its `{}` the VALUES rows) for every batch of `rows`."""
    one = "(" + ", ".join("?" * len(columns)) + ")"
    per = max(1, PARAMETERS // len(columns))
    full = sql.format(", ".join([one] * per))
    for start in range(0, len(rows), per):
        batch = rows[start : start + per]
        statement = full if len(batch) == per else sql.format(", ".join([one] * len(batch)))
        connection.exec_driver_sql(statement, tuple(chain.from_iterable(batch)))


def insert_rows(
    session: Session, table: Table, columns: list[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values of `columns`, in that order, stored form) into `table`."""
    connection = session.connection()
    if not rows:
        return
    if not _batched(connection):
        execute_many(session, insert(table), columns, rows)
        return
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES {{}}"
    _run(connection, sql, columns, rows)


def update_rows(
    session: Session,
    table: Table,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    key: str = "id",
) -> None:
    """Set `columns` on the rows of `table` whose `key` (one of `columns`, once per row)
    each row gives, values in stored form: db.bulk.update_many, without its temporary
    table on SQLite."""
    connection = session.connection()
    if not rows:
        return
    if not _batched(connection):
        update_many(session, table, columns, rows, key)
        return
    quote = connection.dialect.identifier_preparer.quote
    name = quote(table.name)
    # SQLite names the columns of a VALUES list column1, column2, ...
    sets = ", ".join(
        f"{quote(column)} = v.column{at}"
        for at, column in enumerate(columns, start=1)
        if column != key
    )
    where = f"{name}.{quote(key)} = v.column{columns.index(key) + 1}"
    sql = f"UPDATE {name} SET {sets} FROM (VALUES {{}}) AS v WHERE {where}"
    _run(connection, sql, columns, rows)
