"""The one retrier: harvest, publish and compliance retry a ``Transient`` failure the same way.

Exponential back-off on the injected clock (tests take no wall time). Only calls that are
safe to repeat go through it: a publish that timed out may have posted, so the publisher
retries its look-ups here and leaves the post itself to the outbox's own back-off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from config.clock import Clock
from config.errors import Transient, WorkFailed

T = TypeVar("T")
FIRST_DELAY, MAX_DELAY = 1.0, 60.0
# A server that asks for a longer pause (Retry-After) is not waited for within the run: the
# failure goes up as "try later", with the time it asked for.
MAX_ASKED_WAIT = 300.0


def retry(call: Callable[[], T], clock: Clock, attempts: int, what: str, give_up: bool = True) -> T:
    """`call()`, retried up to `attempts` more times while it raises ``Transient``; then
    ``WorkFailed`` naming `what` and how many tries it took (or, with ``give_up=False``,
    the last ``Transient`` itself, for a caller with a back-off of its own)."""
    delay = FIRST_DELAY
    for attempt in range(attempts + 1):
        try:
            return call()
        except Transient as exc:
            if attempt == attempts:
                if not give_up:
                    raise
                raise WorkFailed(
                    f"{what}: still failing after {attempts + 1} tries: {exc.message}"
                ) from exc
            wait = delay
            if exc.retry_at is not None:  # the server said when: no sooner than that
                wait = max(wait, (exc.retry_at - clock.now()).total_seconds())
                if wait > MAX_ASKED_WAIT:
                    raise
            clock.sleep(wait)
            delay = min(delay * 2, MAX_DELAY)
    raise AssertionError("unreachable")
