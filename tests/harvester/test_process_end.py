"""How the `storydesk` command ends (storydesk/cli.py, main): the cycle collector is kept
from taking every loaded module apart at exit (0.3 s after a harvest, bench/x_harvest.py),
and the end is otherwise Python's own: the exit code, atexit handlers, the streams flushed."""

from __future__ import annotations

import subprocess
import sys


def test_main_freezes_the_collector_then_ends_as_python_does() -> None:
    code = (
        "import atexit, gc, sys; "
        "atexit.register(lambda: print('at exit: frozen', gc.get_freeze_count() > 0)); "
        "from storydesk.cli import main; "
        "main(['--version'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("storydesk, version ")
    assert lines[-1] == "at exit: frozen True"


def test_main_exits_with_the_commands_code() -> None:
    code = "from storydesk.cli import main; main(['no-such-command'])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 2
    assert "no-such-command" in result.stderr
