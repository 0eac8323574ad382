"""Every command that takes an id answers a huge, negative, empty or odd one with one clear
line and a documented exit code (2 usage: not an id at all; 1: no such thing), never a
traceback, on both engines. The commands are found from the registry, so a new command
that takes an id is tried without anyone remembering to add it here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from storydesk.cli import _available, cli
from storydesk.params import FORM_ID, ROW_ID
from tests.sandboxed import Setup, make_setup

ODD = [
    "99999999999999999999999",
    "9223372036854775808",
    "2147483648",  # one past the largest id PostgreSQL's INTEGER holds
    "2147483647",
    "0" * 5000 + "1",
    "0" * 20 + "99999999999",
    "0",
    "-1",
    "1e3",
    "0x10",
    "abc",
    "",
    "   ",
    "../../../etc/passwd",
    "<script>",
    "x" * 5000,
    "١٢٣",  # digits, but not ASCII ones
    "\udcff",  # a byte that is not UTF-8, as Python receives it in argv
]


def _id_taking(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    context = click.Context(cli)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from _id_taking(command, (*prefix, name))
        elif command is not None and any(
            isinstance(p, click.Argument) and p.type in (ROW_ID, FORM_ID) for p in command.params
        ):
            yield (*prefix, name)


def _required_options(path: tuple[str, ...]) -> list[str]:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(cli), name)
        assert found is not None
        command = found
    return [
        part
        for p in command.params
        if isinstance(p, click.Option) and p.required
        for part in (p.opts[0], "a note")
    ]


COMMANDS = sorted(_id_taking(cli))


def test_the_id_taking_commands_are_found() -> None:
    assert {("show",), ("approve",), ("consent", "show"), ("consent", "revoke")} <= set(COMMANDS)
    assert {c[0] for c in COMMANDS} <= set(_available())


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Setup:
    return make_setup(tmp_path, "http://127.0.0.1:9", db_url, consent=False)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_an_odd_id_is_one_clear_line_and_a_documented_exit_code(
    desk: Setup, path: tuple[str, ...]
) -> None:
    for odd in ODD:
        args = [*path, *_required_options(path), "--", odd]
        outcome = desk.cli(*args)
        shown = f"{' '.join(path)} {odd[:30]!r}: {outcome.stderr[-400:]}"
        assert outcome.exit_code in (1, 2), shown
        assert "Traceback" not in outcome.stderr and "unexpected error" not in outcome.stderr
        lines = [line for line in outcome.stderr.splitlines() if line.strip()]
        assert lines and len(lines[-1]) < 300, shown
        if outcome.exit_code == 1:  # a well-formed id naming nothing: says which
            typed = odd.strip()
            named = typed.lstrip("0") if typed.isascii() and typed.isdigit() else typed[:60]
            assert named in lines[-1] and " no " in lines[-1], shown
        assert outcome.stdout == "", shown


def test_zero_is_refused_in_the_same_words_as_any_other_non_id(desk: Setup) -> None:
    # `show 0` said "0 is not in the range 1<=x<=2147483647"; "-1" and "abc" say this
    for typed in ("0", "000"):
        outcome = desk.cli("show", typed)
        assert outcome.exit_code == 2
        assert f"'{typed}' is not an id: a whole number from 1 to 2147483647" in outcome.stderr
        assert "1<=x" not in outcome.stderr
