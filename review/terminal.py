"""Text from strangers, made safe to print on a reviewer's terminal.

Posts and forms come from anyone: their control characters (ESC above all) must not reach
a terminal, where they could move the cursor, rewrite earlier lines or retitle the window.
"""

from __future__ import annotations

CONTROLS = {c: " " if chr(c) in "\t\n\r" else "\ufffd" for c in (*range(32), *range(127, 160))}


def printable(text: str) -> str:
    """`text` on one line, each control character shown as U+FFFD."""
    return text.translate(CONTROLS)
