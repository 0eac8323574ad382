"""A request nobody answers within consent.request.expire_after is listed as expired; a
form with its code still matches later (the code does not expire, the follow-up does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.clock import FakeClock
from consent.requests import ask, list_requests
from tests.ask.support import harvested, unsigned_on_x
from tests.sandboxed import load, make_setup, session_factory


def test_unanswered_requests_expire_after_the_configured_time(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, consent=False)
    harvested(setup)
    [(tid, _)] = unsigned_on_x(setup)
    sessions, loaded, clock = session_factory(setup.db_url), load(setup), FakeClock()
    summary = ask(sessions, loaded, clock, [tid], "staff", via="message")
    assert [a.outcome for a in summary.asked] == ["message"]
    clock.advance(29 * 86400)
    assert [r["state"] for r in list_requests(sessions, loaded, clock.now(), None)] == ["asked"]
    clock.advance(2 * 86400)
    [row] = list_requests(sessions, loaded, clock.now(), None)
    assert row["state"] == "expired"
    assert list_requests(sessions, loaded, clock.now(), "expired") == [row]
    again = ask(sessions, loaded, clock, [tid], "staff", via="message", again=True)
    assert [a.outcome for a in again.asked] == ["message"]
    [row] = list_requests(sessions, loaded, clock.now(), None)
    assert (row["state"], row["sent"]) == ("reminded", 2)
