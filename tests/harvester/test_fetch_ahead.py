"""X's pages are fetched one ahead of the storing (harvester/pipeline.py): the same pages in
the same order, an error where it happened, nothing asked past the run's page limit, and a
run that stops does not wait for the page in flight."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from harvester.common import Page
from harvester.pipeline import _fetched_ahead


def numbered(asked: list[int], count: int, fail_at: int | None = None) -> Iterator[Page]:
    for n in range(count):
        asked.append(n)
        if n == fail_at:
            raise ValueError(f"page {n} is garbled")
        yield Page([], {"page": n})


def test_the_same_pages_in_order_and_none_past_the_limit() -> None:
    asked: list[int] = []
    got = [p.position["page"] for p in _fetched_ahead(numbered(asked, 10), limit=3)]
    assert got == [0, 1, 2]
    assert asked == [0, 1, 2]  # the fourth page is never requested
    every: list[int] = []
    assert [p.position["page"] for p in _fetched_ahead(numbered(every, 4), 1000)] == [0, 1, 2, 3]


def test_an_error_comes_after_the_pages_before_it() -> None:
    asked: list[int] = []
    pages = _fetched_ahead(numbered(asked, 10, fail_at=2), limit=100)
    assert next(pages).position == {"page": 0}
    assert next(pages).position == {"page": 1}
    with pytest.raises(ValueError, match="page 2 is garbled"):
        next(pages)


def test_a_stopped_run_does_not_wait_for_the_page_in_flight() -> None:
    release, fetching, fetched = threading.Event(), threading.Event(), threading.Event()

    def slow() -> Iterator[Page]:
        yield Page([], {"page": 0})
        fetching.set()
        release.wait(30)  # a request (or a rate-limit wait) nobody will store
        fetched.set()
        yield Page([], {"page": 1})

    pages = _fetched_ahead(slow(), limit=100)
    assert next(pages).position == {"page": 0}
    assert fetching.wait(30)
    pages.close()  # the run stopped (a store failed, Ctrl-C): returns while page 1 is fetched
    assert not fetched.is_set()
    release.set()
