"""Fixtures for the publisher tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_poll_waits(no_clock_waits: list[float]) -> list[float]:
    """Reels and TikTok uploads are polled with the clock's sleep (5 s a poll, for the real
    platforms' processing); the sandbox finishes on the second poll, so in-process CLI runs
    skip the wait instead of spending wall time (tests/conftest.py: skip_clock_waits)."""
    return no_clock_waits
