"""`storydesk review` and `storydesk queue` in a real pseudo-terminal (pexpect), as staff use
them. SQLite only: what differs here is the terminal, not the engine (the decisions behind
the keys are tested on both engines in test_decisions)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.review.conftest import queue_json, state
from tests.sandboxed import Setup, make_setup

KEYS = r"\[a\]pprove  \[r\]eject  \[h\]old  \[s\]kip  \[o\]pen link  \[q\]uit"


@pytest.fixture
def desk(tmp_path: Path, sandbox: Any, sqlite_url: str) -> Setup:
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url)
    assert setup.cli("harvest").exit_code == 0
    return setup


def spawn(setup: Setup, *args: str) -> pexpect.spawn:
    env = setup.subprocess_env()
    env["USER"] = "dana"
    # `o` opens the link with $BROWSER: a script that only writes down what it was given
    browser = setup.path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {setup.path / "opened.txt"}\n')
    browser.chmod(0o755)
    env["BROWSER"] = str(browser)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "storydesk.cli", *args],
        env=env,
        cwd=str(setup.path),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )


def card(child: pexpect.spawn) -> int:
    """Wait for the next card and its key line; return the testimony it shows."""
    child.expect(r"Testimony (\d+)   review: pending")
    tid = int(child.match.group(1))
    child.expect(KEYS)
    return tid


def test_one_key_per_card_approve_reject_hold_skip_open_quit(desk: Setup) -> None:
    order = [i["id"] for i in queue_json(desk, "--limit", "6")]
    child = spawn(desk, "review")
    seen = [card(child)]
    child.send("a")
    child.expect(rf"testimony {seen[0]}: approved; queued for ")
    seen.append(card(child))
    child.send("r")
    child.expect("Reason: ")
    child.sendline("too dark to see her")
    child.expect(rf"testimony {seen[1]}: rejected \(was pending\)")
    seen.append(card(child))
    child.send("h")
    child.expect("Note: ")
    child.sendline("asking the school")
    child.expect(rf"testimony {seen[2]}: held \(was pending\)")
    seen.append(card(child))
    child.send("s")
    seen.append(card(child))
    child.send("o")
    seen.append(card(child))
    child.send("r")
    child.expect("Reason: ")
    child.sendline("")  # no reason, no rejection
    child.expect("Reason is required; nothing done.")
    assert card(child) == seen[-1]
    child.send("q")
    child.expect(r"Stopped: 3 decided, 2 skipped\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    assert seen == order  # the cards come in queue order, most actionable first
    approved, rejected, held, skipped, opened, left = (state(desk, tid) for tid in seen)
    assert approved.review == "approved" and approved.decisions[0][:2] == ("approve", "dana")
    assert approved.publications and set(approved.publications.values()) == {"queued"}
    assert rejected.review == "rejected"
    assert rejected.decisions == [("reject", "dana", "too dark to see her", False, [])]
    assert held.review == "held"
    assert held.decisions == [("hold", "dana", "asking the school", False, [])]
    for untouched in (skipped, opened, left):
        assert (untouched.review, untouched.decisions) == ("pending", [])
    link = queue_json(desk, "--limit", "0")
    first_url = next(i["url"] for i in link if i["id"] == seen[4])
    assert (desk.path / "opened.txt").read_text() == first_url + "\n"


def test_approving_without_matched_consent_is_refused_and_the_queue_moves_on(
    desk: Setup,
) -> None:
    waiting = [i["id"] for i in queue_json(desk, "--consent", "needs-check", "--limit", "0")]
    assert waiting
    child = spawn(desk, "review", "--consent", "needs-check")
    for tid in waiting:
        assert card(child) == tid
        child.send("a")
        child.expect(rf"testimony {tid}: consent is needs-check, not matched; approve only with")
    child.expect(rf"Queue empty: 0 decided, {len(waiting)} skipped\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert all(state(desk, tid).review == "pending" for tid in waiting)


def test_queue_on_a_terminal_is_a_table(desk: Setup) -> None:
    child = spawn(desk, "queue", "--limit", "5")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    screen = child.before
    assert "Review queue (pending)" in screen
    assert "┃" in screen or "│" in screen  # rich's table, not tab-separated text
    for item in queue_json(desk, "--limit", "5"):
        assert f"│ {item['id']} " in screen or f"┃ {item['id']} " in screen
