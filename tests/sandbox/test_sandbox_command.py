"""`storydesk sandbox` started on a port it cannot have: one line naming the port and what
to do, never "unexpected error: OSError" / "OverflowError" (exit 1)."""

from __future__ import annotations

import socket
from pathlib import Path

import click
import pytest

from storydesk.commands.sandbox import command as sandbox_command
from tests.helpers import invoke


def test_a_port_in_use_is_named_with_what_to_do() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        outcome = invoke("sandbox", "--port", str(port))
    assert outcome.exit_code == 78, outcome.stderr
    assert outcome.stderr.startswith(f"storydesk: --port {port}: cannot serve on 127.0.0.1: ")
    assert "pass another --port" in outcome.stderr
    assert "unexpected error" not in outcome.stderr
    assert outcome.stdout == ""


def test_a_port_or_post_count_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    for args in (["--port", "99999"], ["--port", "-1"]):
        outcome = invoke("sandbox", *args)
        assert outcome.exit_code == 2, (args, outcome.stderr)
        assert "Invalid value for '--port'" in outcome.stderr
    # (a sandbox given a valid port and --posts -1 would serve: its option is checked alone)
    posts = next(p for p in sandbox_command.params if p.name == "posts")
    with pytest.raises(click.BadParameter, match="-1 is not in the range"):
        posts.type.convert("-1", posts, None)
    outcome = invoke("demo", "--posts", "-1", "--dir", str(tmp_path / "demo"))
    assert outcome.exit_code == 2
    assert "Invalid value for '--posts'" in outcome.stderr
    assert not (tmp_path / "demo").exists()
