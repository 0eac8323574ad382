"""Writing a hundred thousand rows in one statement, without per-row, per-column conversion.

SQLAlchemy's executemany converts every value of every row through its column's type (a
JSON document serialised, a timestamp formatted), which at 100k rows costs more than the
database's own work. Here the caller hands values already in the form the driver takes:
the values many rows share (the run's timestamp) converted once with `stored`, and JSON
documents as the text already made for comparing. The statement is compiled by SQLAlchemy
for the connection's dialect, so the SQL is the same as Core would send (PostgreSQL's
`::JSON` casts included) and no dialect is special-cased here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, Table, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ValuesBase


def stored(session: Session, column: Column[Any], value: Any) -> Any:
    """`value` as the driver takes it for `column`: what SQLAlchemy would send."""
    dialect = session.get_bind().dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None else value


def execute_many(session: Session, statement: ValuesBase, rows: list[dict[str, Any]]) -> None:
    """Run `statement` (an insert, or an update with `bindparam`s) once per row, in one
    executemany. Every row has the same keys, their values in stored form (see `stored`)."""
    if not rows:
        return
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        order = compiled.positiontup or []
        connection.exec_driver_sql(
            compiled.string, [tuple(row[name] for name in order) for row in rows]
        )
    else:
        connection.exec_driver_sql(compiled.string, rows)  # type: ignore[arg-type]


def update_many(session: Session, table: Table, rows: list[dict[str, Any]], key: str = "id") -> None:
    """Set the values in `rows` on the rows of `table` whose `key` column they give (values
    in stored form). They go to a temporary table, then one UPDATE ... FROM: SQLite checks
    foreign keys statement by statement, which doubles the time of an executemany of
    100k UPDATEs."""
    if not rows:
        return
    names = list(rows[0])
    temporary = Table(
        f"{table.name}_changes",
        MetaData(),
        *(Column(name, table.c[name].type, primary_key=name == key) for name in names),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    temporary.create(connection)
    try:
        execute_many(session, insert(temporary), rows)
        session.execute(
            update(table)
            .where(table.c[key] == temporary.c[key])
            .values({name: temporary.c[name] for name in names if name != key})
        )
    finally:
        temporary.drop(connection)
