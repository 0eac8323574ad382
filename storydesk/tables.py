"""Tables for people: rich on a terminal, plain tab-separated text otherwise."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from review.terminal import printable


def print_table(
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    title: str = "",
    empty: str = "Nothing to show.",
) -> None:
    if not rows:
        click.echo(empty)
        return
    if not sys.stdout.isatty():
        click.echo("\t".join(columns))
        for row in rows:
            click.echo("\t".join(_cell(row.get(c)) for c in columns))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None)
    for column in columns:
        table.add_column(column)
    for row in rows:
        # rich markup in user text must not be interpreted: escape it
        from rich.markup import escape

        table.add_row(*(escape(_cell(row.get(c))) for c in columns))
    Console().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    # a tab or newline would break the row; ESC and friends would drive the terminal
    return printable(str(value))
