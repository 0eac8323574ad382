"""Fixtures for the publisher tests."""

from __future__ import annotations

import pytest

from config.clock import SystemClock


@pytest.fixture(autouse=True)
def no_poll_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Reels and TikTok uploads are polled with the clock's sleep (5 s a poll, for the real
    platforms' processing); the sandbox finishes on the second poll, so in-process CLI runs
    skip the wait instead of spending wall time. The time itself stays real."""
    slept: list[float] = []
    monkeypatch.setattr(SystemClock, "sleep", lambda self, seconds: slept.append(seconds))
    return slept
