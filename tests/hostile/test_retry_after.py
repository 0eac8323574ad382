"""Retries honour what the server asked for (Retry-After), within bounds a hostile value
cannot stretch; a long pause becomes "try later" instead of a sleeping run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.clock import FakeClock
from config.errors import Transient
from config.retry import MAX_ASKED_WAIT, retry
from platforms.http import retry_after

CLOCK = FakeClock()
NOW = CLOCK.now()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        ("0", 0),
        ("soon", 60),  # not a number nor a date: the default
        ("99999999999999999999", 86400),  # never more than a day
        ((NOW + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT"), 90),
        ("Mon, 01 Jan 1990 00:00:00 GMT", 0),  # a date in the past: now
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date_and_bounded(value: str, seconds: int) -> None:
    at = retry_after({"retry-after": value}, NOW, 60)
    assert at is not None
    assert (at - NOW).total_seconds() == pytest.approx(seconds, abs=1)


def test_no_retry_after_and_no_default_means_no_time_asked() -> None:
    assert retry_after({}, NOW, None) is None


def test_the_retrier_waits_as_long_as_the_server_asked() -> None:
    clock = FakeClock()
    answers = iter([Transient("busy", clock.now() + timedelta(seconds=42)), "ok"])

    def call() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert retry(call, clock, attempts=2, what="x search") == "ok"
    assert clock.slept == [42]


def test_a_pause_longer_than_a_run_should_wait_is_try_later_not_a_sleep() -> None:
    clock = FakeClock()
    asked = clock.now() + timedelta(seconds=MAX_ASKED_WAIT + 1)

    def call() -> str:
        raise Transient("come back in an hour", asked)

    with pytest.raises(Transient) as caught:
        retry(call, clock, attempts=5, what="youtube search.list")
    assert caught.value.retry_at == asked
    assert clock.slept == []
