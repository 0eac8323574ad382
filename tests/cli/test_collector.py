"""The cycle collector as every command sets it (storydesk/collector.py): no look while a
command starts, then the usual looks, so that a long command still frees garbage in cycles."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import gc
from storydesk import collector
collector.start()
print(gc.get_threshold()[0])
gc.collect(0)  # the first look, as a long command reaches it
print(gc.get_threshold()[0])
gc.collect(0)
print(gc.get_threshold()[0])
"""


def test_the_first_look_waits_then_the_collector_looks_as_usual() -> None:
    # in a process of its own: the collector's settings are the whole process's
    result = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1000000", "50000", "50000"]


def test_a_command_that_makes_what_show_makes_is_never_interrupted_by_a_look() -> None:
    # `show` makes some 800k objects that live to the end; at 50,000 a look, 17 looks
    code = (
        "import gc; from storydesk import collector; collector.start(); looks = []; "
        "gc.callbacks.append(lambda phase, info: looks.append(phase)); "
        "kept = [[n] for n in range(800_000)]; print(len(looks))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0"]
