"""Reading a hundred thousand rows as plain tuples.

A Core result wraps each row in a Row object: at the first match of 100k posts, making
them and reading them back cost more than the driver's own fetch. Here the statement runs
through Core (its SQL compiled for the connection's dialect, its parameters bound as
usual) and the rows are taken from the driver's cursor as they come. A column whose type
converts what the driver gives (a JSON document, an enum, SQLite's 0/1 for a boolean) is
converted as Core would: callers select columns that need none where speed matters.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Select


def plain_rows(
    connection: Connection, statement: Select[*tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Every row of `statement`, as the tuples the driver returns, each value as Core
    would return it."""
    dialect = connection.dialect
    result = connection.execute(statement)
    try:
        cursor = result.cursor
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(
                statement.selected_columns, cursor.description, strict=True
            )
        ]
        rows = cast(list[tuple[Any, ...]], cursor.fetchall())
    finally:
        result.close()
    if not any(processors):
        return rows
    convert = [(at, process) for at, process in enumerate(processors) if process is not None]
    converted = []
    for row in rows:
        values = list(row)
        for at, process in convert:
            values[at] = process(values[at])
        converted.append(tuple(values))
    return converted
