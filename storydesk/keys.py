"""Single keys from the reviewer's terminal, and nothing left behind when we stop.

One key is one character: keys typed ahead are read one at a time, never as one chunk
(click.getchar reads up to 32 bytes at once, so "aa" typed quickly is neither key). When
the review ends, whatever was typed ahead is dropped instead of reaching the shell.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import tty
from collections.abc import Iterator
from contextlib import contextmanager


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@contextmanager
def single_keys() -> Iterator[None]:
    """The terminal reads key by key (no echo, no Enter) inside; line by line again
    outside, for prompts. Ctrl-C still interrupts."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        mode = termios.tcgetattr(fd)
        mode[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def read_key() -> str:
    """One key: a character, or "esc" for Escape and the sequences arrow keys send."""
    fd = sys.stdin.fileno()
    with single_keys():
        first = os.read(fd, 1)
        if not first:
            raise EOFError
        if first == b"\x1b":
            # the rest of an escape sequence is already there; a lone Escape has nothing after
            while select.select([fd], [], [], 0)[0]:
                os.read(fd, 16)
            return "esc"
        lead = first[0]
        more = 3 if lead >= 0xF0 else 2 if lead >= 0xE0 else 1 if lead >= 0xC0 else 0
        raw = first + (os.read(fd, more) if more else b"")
        return raw.decode("utf-8", errors="replace")


def drain() -> None:
    """Drop whatever was typed ahead and not read, so it never lands in the shell."""
    # not a terminal (any more): nothing to drop
    with contextlib.suppress(termios.error, OSError, ValueError):
        termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
