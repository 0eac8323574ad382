"""`storydesk review` and `storydesk queue` in a real pseudo-terminal (pexpect), as staff use
them. SQLite only: what differs here is the terminal, not the engine (the decisions behind
the keys are tested on both engines in test_decisions)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
from rich.cells import cell_len
from sqlalchemy import select

from db import models
from tests.review.conftest import as_user, opened, queue_json, state
from tests.sandboxed import Setup, make_setup

KEYS = r"\[a\]pprove  \[r\]eject  \[h\]old  \[s\]kip  \[o\]pen link  \[c\]hoose copies  \[q\]uit"


@pytest.fixture
def desk(tmp_path: Path, sandbox: Any, sqlite_url: str) -> Setup:
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url)
    assert setup.cli("harvest").exit_code == 0
    return setup


def spawn(setup: Setup, *args: str, width: int = 200) -> pexpect.spawn:
    env = setup.subprocess_env()
    env["USER"] = "dana"
    # `o` opens the link with $BROWSER: a script that only writes down what it was given
    browser = setup.path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {setup.path / "opened.txt"}\n')
    browser.chmod(0o755)
    env["BROWSER"] = str(browser)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    for size in ("COLUMNS", "LINES"):  # the terminal's own size counts, not the runner's
        env.pop(size, None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "storydesk.cli", *args],
        env=env,
        cwd=str(setup.path),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, width),
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
    child.send("r")
    child.expect("Reason: ")
    child.sendline("")  # no reason, no rejection: the card stays
    child.expect("Reason is required; nothing done.")
    child.expect(KEYS)
    child.send("q")
    child.expect(r"Stopped: 3 decided, 1 skipped\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    assert seen == order[:5]  # the cards come in queue order, most actionable first
    approved, rejected, held, skipped, left = (state(desk, tid) for tid in seen)
    assert approved.review == "approved" and approved.decisions[0][:2] == ("approve", "dana")
    assert approved.publications and set(approved.publications.values()) == {"queued"}
    assert rejected.review == "rejected"
    assert rejected.decisions == [("reject", "dana", "too dark to see her", False, [])]
    assert held.review == "held"
    assert held.decisions == [("hold", "dana", "asking the school", False, [])]
    for untouched in (skipped, left):
        assert (untouched.review, untouched.decisions) == ("pending", [])


def test_open_keeps_the_card_so_the_next_key_decides_what_was_watched(desk: Setup) -> None:
    first = queue_json(desk, "--limit", "1")[0]
    child = spawn(desk, "review")
    assert card(child) == first["id"]
    child.send("o")
    child.expect(r"Opened (\S+)")
    assert child.match.group(1) == first["url"]
    child.expect(KEYS)  # the same card waits for its decision, no new card
    child.send("a")
    child.expect(rf"testimony {first['id']}: approved; queued for ")
    second = card(child)
    assert second != first["id"]
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert state(desk, first["id"]).review == "approved"
    assert state(desk, second).review == "pending"
    assert (desk.path / "opened.txt").read_text() == first["url"] + "\n"


def test_approving_a_needs_check_asks_the_override_reason_and_stays_without_one(
    desk: Setup,
) -> None:
    waiting = [i["id"] for i in queue_json(desk, "--consent", "needs-check", "--limit", "0")]
    assert waiting
    child = spawn(desk, "review", "--consent", "needs-check")
    assert card(child) == waiting[0]
    child.send("a")
    child.expect(rf"testimony {waiting[0]}: consent is needs-check, not matched\.")
    child.expect(r"Override reason \(Enter alone: nothing done\): ")
    child.sendline("")
    child.expect("No reason given; nothing done.")
    child.expect(KEYS)  # still the same card: the refusal did not skip it
    child.send("a")
    child.expect("Override reason")
    child.sendline("checked the form by phone")
    child.expect(rf"testimony {waiting[0]}: approved; queued for ")
    if len(waiting) > 1:
        assert card(child) == waiting[1]
        child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    first = state(desk, waiting[0])
    assert first.review == "approved"
    assert first.decisions == [
        ("approve", "dana", "override: checked the form by phone", True, first.decisions[0][4])
    ]
    assert all(state(desk, tid).review == "pending" for tid in waiting[1:])


def test_without_a_terminal_review_refuses_in_one_line(desk: Setup) -> None:
    import subprocess

    done = subprocess.run(
        desk.command("review"),
        env=desk.subprocess_env(),
        cwd=desk.path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "use `queue` and `approve`, or `review --web`" in lines[0]


# slow: a shell and the review in a pseudo-terminal, a key per card
@pytest.mark.slow
def test_keys_typed_ahead_never_reach_the_shell(desk: Setup) -> None:
    """The last card is decided with a reason typed with more keys after it; the shell
    that runs next reads what is left in the terminal: nothing."""
    last = queue_json(desk, "--limit", "0")[-1]["id"]
    script = '"$@"; stty -icanon -echo min 0 time 0; printf "left:["; head -c 64; printf "]\\n"'
    env = desk.subprocess_env()
    env["USER"] = "dana"
    child = pexpect.spawn(
        "sh",
        ["-c", script, "sh", sys.executable, "-m", "storydesk.cli", "review"],
        env=env,
        cwd=str(desk.path),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )
    total = len(queue_json(desk, "--limit", "0"))
    for _ in range(total - 1):
        card(child)
        child.send("s")
    assert card(child) == last
    child.send("r")
    child.expect("Reason: ")
    child.send("not for us\nrm -rf x")  # keys typed on while the rejection is saved
    child.expect(rf"testimony {last}: rejected")
    child.expect(r"Queue empty: 1 decided, \d+ skipped\.")
    child.expect(r"left:\[(.*)\]")
    assert child.match.group(1) == ""
    child.expect(pexpect.EOF)


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


@pytest.mark.parametrize("width", [80, 200])
def test_queue_on_a_terminal_is_one_line_per_testimony_and_says_what_it_left_out(
    desk: Setup, width: int
) -> None:
    every = queue_json(desk, "--limit", "0")
    shown = every[:6]
    child = spawn(desk, "queue", "--limit", "6", width=width)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    lines = re.sub(r"\x1b\[[0-9;]*m", "", child.before.replace("\r", "")).splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == [str(i["id"]) for i in shown]
    assert all(cell_len(line) <= width for line in lines)  # CJK letters are two cells
    assert lines[-1] == f"6 of {len(every)} shown; --limit to see more"
    with opened(desk) as session:
        for row, item in zip(rows, shown, strict=True):
            form = session.scalars(
                select(models.ConsentRecord).where(
                    models.ConsentRecord.response_id == item["consent_id"]
                )
            ).first()
            name = row.split("│")[3].strip()
            if form is None:
                assert name == "-"
                continue
            first = form.full_name.split()[0]
            expected = f"{first}, {form.age}" if form.age else first
            assert expected.lower().startswith(name.rstrip("…").lower()), (name, expected)
            if width == 200:
                assert name.lower() == expected.lower()


def test_a_decision_made_elsewhere_meanwhile_is_shown_not_overwritten(desk: Setup) -> None:
    first = queue_json(desk, "--limit", "1")[0]["id"]
    child = spawn(desk, "review")
    assert card(child) == first
    # another reviewer rejects it from their own terminal while the card is on screen
    elsewhere = as_user(desk, "reject", str(first), "--reason", "wrong person", user="bob")
    assert elsewhere.exit_code == 0, elsewhere.stderr
    child.send("a")
    child.expect(
        rf"testimony {first} changed meanwhile: it is rejected \(reject by bob at [^)]+\); "
        "your decision was not saved"
    )
    assert card(child) != first  # it left the pending queue
    child.send("q")
    child.expect(pexpect.EOF)
    after = state(desk, first)
    assert after.review == "rejected"
    assert after.decisions == [("reject", "bob", "wrong person", False, [])]


def test_a_refusal_nobody_may_override_is_one_line_and_the_card_stays(desk: Setup) -> None:
    items = queue_json(desk, "--limit", "0")
    hard = next(i for i in items if i["consent"] in ("guardian-required", "revoked", "none"))
    child = spawn(desk, "review", "--consent", hard["consent"])
    assert card(child) == hard["id"]
    child.send("a")
    child.expect(rf"testimony {hard['id']}: refused: consent is {hard['consent']}: [^\r\n]+\r\n")
    child.expect(KEYS)  # no reason asked: no override exists; the same card waits
    child.send("q")
    child.expect(r"Stopped: 0 decided, 0 skipped\.")
    child.expect(pexpect.EOF)
    assert "Override reason" not in child.before
    assert state(desk, hard["id"]).decisions == []
