"""Writing a hundred thousand rows in one statement, without per-row, per-column conversion.

SQLAlchemy's executemany converts every value of every row through its column's type (a
JSON document serialised, a timestamp formatted), which at 100k rows costs more than the
database's own work. Here the caller hands rows as tuples of values already in the form
the driver takes: the values many rows share (the run's timestamp) converted once with
`stored`, JSON documents as the text already made for comparing. The statement is compiled
by SQLAlchemy for the connection's dialect, so the SQL is what Core would send
(PostgreSQL's `::JSON` casts included). Only `insert_rows` and `update_many` write their
own SQL on SQLite, many rows a statement (see PARAMETERS).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain
from typing import Any, cast

from sqlalchemy import Column, Connection, Dialect, MetaData, Table, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import ValuesBase
from sqlalchemy.sql.expression import ClauseElement


def stored(session: Session, column: Column[Any], value: Any) -> Any:
    """`value` as the driver takes it for `column`: what SQLAlchemy would send."""
    dialect = session.get_bind().dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None else value


def execute_many(
    session: Session,
    statement: ValuesBase,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Run `statement` (an insert) once per row, in one executemany: each row holds the
    values of `columns`, in that order, in stored form (see `stored`)."""
    if not rows:
        return
    connection = session.connection()
    sql, order = _compiled(statement, connection.dialect, tuple(columns))
    params: Sequence[Any]
    if order is None:
        params = [dict(zip(columns, row, strict=True)) for row in rows]
    elif order == columns:
        params = rows
    else:
        at = [columns.index(name) for name in order]
        params = [tuple(row[i] for i in at) for row in rows]
    connection.exec_driver_sql(sql, params)


@lru_cache(maxsize=64)
def _compiled(
    statement: ValuesBase, dialect: Dialect, columns: tuple[str, ...]
) -> tuple[str, list[str] | None]:
    """The statement's SQL for `dialect`, and the order of its positional parameters (None:
    named ones). Compiled once for a statement its caller keeps (the harvest's posts insert,
    every page: a millisecond each time); a statement is never changed once made, so the
    SQL is the one compiling it again would give. Bounded: statements made for one call
    (update_many's) only pass through."""
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    return compiled.string, list(compiled.positiontup or []) if compiled.positional else None


IN_CHUNK = 1000


def select_in(
    session: Session, query: ClauseElement, ids: Sequence[Any], **params: Any
) -> list[Any]:
    """Rows of `query`, whose IN takes the expanding parameter "ids", for `ids` a thousand
    at a time. The SQL for each length is expanded once: SQLAlchemy expands it again on
    every execution, which on SQLite took three times as long as the database's own look-up
    of a thousand ids."""
    connection = session.connection()
    found: list[Any] = []
    for n in range(0, len(ids), IN_CHUNK):
        chunk = ids[n : n + IN_CHUNK]
        sql, names, order = _expanded(query, connection.dialect, len(chunk), tuple(params))
        values = {**params, **dict(zip(names, chunk, strict=True))}
        args = values if order is None else tuple(map(values.__getitem__, order))
        found.extend(connection.exec_driver_sql(sql, args))
    return found


@lru_cache(maxsize=64)
def _expanded(
    query: ClauseElement, dialect: Dialect, count: int, params: tuple[str, ...]
) -> tuple[str, list[str], list[str] | None]:
    """`query`'s SQL with `count` ids: (SQL, the ids' parameter names, the order of the
    positional parameters or None)."""
    compiled = cast(SQLCompiler, query.compile(dialect=dialect))
    state = compiled.construct_expanded_state({**dict.fromkeys(params), "ids": [""] * count})
    names = [name for name in state.parameters if name not in params]
    order = list(state.positiontup or []) if compiled.positional else None
    return state.statement, names, order


# On SQLite, rows go a few hundred a statement, `VALUES (?, ?), (?, ?), ...`: sqlite3's
# executemany runs its statement once per row, each run letting go of the GIL and taking
# it back, and SQLite resetting the statement and setting up its foreign key checks again.
# One statement of many rows does the same writes a third cheaper (the first match of 100k
# posts writes its matches, the testimonies' states and the audit entries this way).
# SQLite builds before 3.32 take at most 999 parameters a statement (later: 32766).
PARAMETERS = 999


def _many_a_statement(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite" and connection.dialect.paramstyle == "qmark"


def _values_batches(
    connection: Connection,
    sql: str,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    first: tuple[Any, ...] = (),
) -> None:
    """`sql` (its `{}` the VALUES rows) for every batch of `rows`; `first`, the values of
    the parameters `sql` holds before its VALUES, bound in each statement once."""
    one = "(" + ", ".join("?" * len(columns)) + ")"
    per = max(1, (PARAMETERS - len(first)) // len(columns))
    full = sql.format(", ".join([one] * per))
    for start in range(0, len(rows), per):
        batch = rows[start : start + per]
        statement = full if len(batch) == per else sql.format(", ".join([one] * len(batch)))
        connection.exec_driver_sql(statement, (*first, *chain.from_iterable(batch)))


def insert_rows(
    session: Session,
    table: Table,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    shared: dict[str, Any] | None = None,
) -> None:
    """Insert `rows` (values of `columns`, in that order, stored form) into `table`: on
    SQLite many a statement, elsewhere one executemany. `shared`: the values of other
    columns, the same in every row (stored form), bound once a statement on SQLite."""
    if not rows:
        return
    connection = session.connection()
    same = shared or {}
    if not _many_a_statement(connection):
        if same:
            rows = [(*row, *same.values()) for row in rows]
        execute_many(session, insert(table), [*columns, *same], rows)
        return
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in [*columns, *same])
    table_name = quote(table.name)
    if not same:
        sql = f"INSERT INTO {table_name} ({names}) VALUES {{}}"
    else:  # SQLite names the columns of a VALUES list column1, column2, ...
        picked = ", ".join([f"column{n}" for n in range(1, len(columns) + 1)] + ["?"] * len(same))
        sql = f"INSERT INTO {table_name} ({names}) SELECT {picked} FROM (VALUES {{}})"
    _values_batches(connection, sql, columns, rows, tuple(same.values()))


def update_many(
    session: Session,
    table: Table,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    key: str = "id",
) -> None:
    """Set `columns` on the rows of `table` whose `key` (one of `columns`, once per row)
    each row gives, values in stored form: on SQLite an UPDATE ... FROM a VALUES list many
    rows a statement, elsewhere through a temporary table (update_through_table)."""
    if not rows:
        return
    connection = session.connection()
    if not _many_a_statement(connection):
        update_through_table(session, table, columns, rows, key)
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
    _values_batches(connection, sql, columns, rows)


def update_through_table(
    session: Session,
    table: Table,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    key: str = "id",
) -> None:
    """update_many's way outside SQLite: the rows go to a temporary table, then one UPDATE
    ... FROM (an executemany of 100k UPDATEs checks foreign keys statement by statement)."""
    if not rows:
        return
    temporary = Table(
        f"{table.name}_changes",
        MetaData(),
        *(Column(name, table.c[name].type, primary_key=name == key) for name in columns),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    temporary.create(connection)  # if anything fails, rolling back removes it
    execute_many(session, insert(temporary), columns, rows)
    session.execute(
        update(table)
        .where(table.c[key] == temporary.c[key])
        .values({name: temporary.c[name] for name in columns if name != key})
    )
    temporary.drop(connection)


# sqlite3 looks an adapter up for every value that is not text or a number, None included:
# its search of the protocol's attributes, per NULL, was a quarter of the time of inserting
# 100k forms (a dozen blank cells each). With an adapter for None the look-up is one dict
# hit, and {}.get(None), a call in C, gives None: what sqlite3 binds without one.
_NONE_ADAPTER = (type(None), sqlite3.PrepareProtocol)
# WAL frames before a commit copies the log into the database: SQLite's 1000 rewrites the
# same index pages into the file every few batches of a long import; this many (64 MiB of
# 4 KiB pages) copies each page about once.
BULK_CHECKPOINT_PAGES = 16_384


@contextmanager
def bulk_writes(connection: Connection) -> Iterator[None]:
    """On SQLite, for a long run of inserts on `connection`: NULLs bound without sqlite3's
    adapter search, and the WAL checkpointed every BULK_CHECKPOINT_PAGES rather than every
    1000, both put back afterwards. Each commit is as durable as before: a checkpoint only
    moves committed pages from the log to the file. Elsewhere, nothing."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    usual = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    raw.execute(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")
    had = sqlite3.adapters.get(_NONE_ADAPTER)
    sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))
    try:
        yield
    finally:
        if had is None:
            sqlite3.adapters.pop(_NONE_ADAPTER, None)
        else:
            sqlite3.adapters[_NONE_ADAPTER] = had
        raw.execute(f"PRAGMA wal_autocheckpoint={int(usual)}")
