"""Every command explains itself; the shell behaves as DESIGN.md's contract says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from storydesk import __version__
from storydesk.cli import COMMANDS, _available
from tests.helpers import invoke


def test_every_registered_command_has_help_text() -> None:
    available = _available()
    assert {"init", "check-config", "status"} <= set(available)
    for name in available:
        outcome = invoke(name, "--help")
        assert outcome.exit_code == 0, f"{name}: {outcome.stderr}"
        assert f"Usage: storydesk {name}" in outcome.stdout
        body = outcome.stdout.split("\n\n", 2)
        assert len(body) >= 2 and body[1].strip(), f"{name} has no help text"
        assert COMMANDS[name][2], f"{name} has no one-line help in the registry"


def test_top_level_help_lists_the_commands_and_exit_codes() -> None:
    outcome = invoke("--help")
    assert outcome.exit_code == 0
    for name in _available():
        assert name in outcome.stdout
    assert "75 try later" in outcome.stdout


def test_version() -> None:
    outcome = invoke("--version")
    assert outcome.exit_code == 0
    assert __version__ in outcome.stdout


def test_an_unknown_command_is_a_usage_error() -> None:
    outcome = invoke("frobnicate")
    assert outcome.exit_code == 2
    assert "No such command" in outcome.stderr


@pytest.mark.parametrize(
    "module", ["sqlalchemy", "tweepy", "googleapiclient", "instaloader", "pydantic"]
)
def test_help_imports_no_heavy_library(module: str) -> None:
    code = (
        "import sys; from storydesk.cli import run; "
        "sys.stdout = open('/dev/null', 'w'); run(['--help']); "
        f"sys.stderr.write(str({module!r} in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == "False"


def test_every_subcommand_has_help_text() -> None:
    import click

    from storydesk.cli import cli

    ctx = click.Context(cli)
    for name in _available():
        group = cli.get_command(ctx, name)
        if not isinstance(group, click.Group):
            continue
        for sub in group.list_commands(ctx):
            outcome = invoke(name, sub, "--help")
            assert outcome.exit_code == 0, f"{name} {sub}: {outcome.stderr}"
            body = outcome.stdout.split("\n\n", 2)
            assert len(body) >= 2 and body[1].strip(), f"{name} {sub} has no help text"
