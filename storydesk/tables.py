"""Tables for people: rich on a terminal, plain tab-separated text otherwise."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from review.terminal import printable


def print_table(
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    title: str = "",
    empty: str = "Nothing to show.",
    one_line: str | None = None,
) -> None:
    """`one_line` names the column that takes what width is left on a terminal: every row
    then stays on one line, that column (and any too wide) cut with an ellipsis."""
    if not rows:
        click.echo(empty)
        return
    if not sys.stdout.isatty():
        click.echo("\t".join(columns))
        for row in rows:
            click.echo("\t".join(_cell(row.get(c)) for c in columns))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    cells = [{c: _cell(row.get(c)) for c in columns} for row in rows]
    table = Table(title=title or None)
    widths = _one_line_widths(columns, cells, one_line, console.width) if one_line else {}
    for column in columns:
        if column in widths:
            width = widths[column]
            table.add_column(
                column, no_wrap=True, overflow="ellipsis", width=width, min_width=width
            )
        else:
            table.add_column(column)
    for row in cells:
        # rich markup in user text must not be interpreted: escape it
        table.add_row(*(escape(row[c]) for c in columns))
    console.print(table)


FREE_TEXT_MIN = 12  # the free-text column keeps at least this much when the others shrink
NARROWEST = 5  # a shrunk column keeps this much ("lear…")


def _one_line_widths(
    columns: Sequence[str], cells: list[dict[str, str]], free: str, width: int
) -> dict[str, int]:
    """Column widths that fit `width`: every column as wide as its widest cell, the widest
    ones shrunk first when that is too much, and `free` takes what is left."""
    from rich.cells import cell_len

    room = width - (3 * len(columns) + 1)  # rich's borders and padding
    widths = {c: max(cell_len(c), *(cell_len(r[c]) for r in cells)) for c in columns}
    natural_free = widths.pop(free)
    while sum(widths.values()) + FREE_TEXT_MIN > room:
        widest = max(widths, key=lambda c: widths[c])
        if widths[widest] <= NARROWEST:
            break
        widths[widest] -= 1
    widths[free] = max(1, min(natural_free, room - sum(widths.values())))
    return widths


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    # a tab or newline would break the row; ESC and friends would drive the terminal
    return printable(str(value))
