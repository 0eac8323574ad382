"""Running the real CLI in-process, with its exit codes and separate stdout/stderr."""

from __future__ import annotations

from dataclasses import dataclass

from click.testing import CliRunner

from storydesk.cli import run


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Outcome:
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as streams:
        code = run(list(args))
        out, err = streams[0], streams[1]
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode())
