"""The README stays true: its commands exist, its keys are real, its reference is complete."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import click

from config.reference import describe, keys, render
from config.schema import Campaign
from storydesk.cli import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _between(marker: str) -> str:
    return README.split(f"<!-- {marker}:start -->\n", 1)[1].split(f"<!-- {marker}:end -->", 1)[0]


def test_the_first_lines_are_the_demo_and_the_test_command() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert first_block == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/storydesk demo",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m tests",
    ]
    # CI runs the same test command
    assert first_block[1] in (REPO / ".ci" / "run").read_text()


def test_every_campaign_key_is_described_and_the_reference_is_current() -> None:
    undocumented = [path for path, field in keys() if not describe(path, field)]
    assert undocumented == []
    assert _between("campaign-reference") == render(), "run: python -m config.reference"


def test_the_readme_toml_example_is_a_valid_campaign() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README, flags=re.S)
    assert blocks
    for block in blocks:
        Campaign.model_validate(tomllib.loads(block))


def _resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    ctx = click.Context(cli)
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        found = command.get_command(ctx, rest[0])
        assert found is not None, f"README names a command that does not exist: {words}"
        command, rest = found, rest[1:]
    return command, rest


def test_every_command_and_option_the_readme_shows_exists() -> None:
    lines = re.findall(r"`(storydesk [^`]+)`", README)
    lines += re.findall(r"^\$ (storydesk .+)$", README, flags=re.M)
    assert len(lines) > 20
    for line in lines:
        words = [w for w in shlex.split(line.replace("[", " ").replace("]", " "))[1:]]
        while words and words[0] in ("--config", "--db"):
            words = words[2:]
        if not words or words[0].isupper():  # "storydesk COMMAND --help": a placeholder
            continue
        command, rest = _resolve(words)
        options = {opt for p in command.params for opt in getattr(p, "opts", [])}
        for word in rest:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"{line}: no option {word}"
