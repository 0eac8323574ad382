"""`storydesk review --web` in headless Chromium, as staff use it: the command prints its URL,
the page answers 403 without the token, and a reviewer decides 50 testimonies with the
keyboard alone (approve, override a needs-check with a reason, reject and hold with their
words, j/k), meets a decision made meanwhile in a terminal, and the database and the audit
trail say what was done. Participants' markup, in every field the page shows, stays text.

SQLite only: the browser is what is new here; the page's rules run on both engines in
test_web.py."""

from __future__ import annotations

import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select
from sqlalchemy import update

from db import models
from tests.cdp import Browser
from tests.review.conftest import as_user, opened, state
from tests.sandboxed import Setup, make_setup

pytestmark = pytest.mark.slow

DECISIONS = 50
BUDGET_SECONDS = 300  # the bar: 50 decisions in under 5 minutes of wall time


@pytest.fixture
def world(tmp_path: Path, sqlite_url: str) -> Iterator[Setup]:
    """A campaign of 110 posts: 86 testimonies waiting, enough for 50 decisions, with every
    consent state among them (seed 7: 5 guardian-required, 6 needs-check, 21 none)."""
    from sandbox.server import start_sandbox

    server = start_sandbox(port=0, posts=110, seed=7)
    try:
        setup = make_setup(tmp_path, server.base_url, sqlite_url)
        harvest = setup.cli("harvest")
        assert harvest.exit_code == 0, harvest.stderr
        yield setup
    finally:
        server.stop()


def serve(setup: Setup) -> tuple[subprocess.Popen[str], str]:
    """`storydesk review --web` as a reviewer starts it; the URL it prints."""
    env = {**setup.subprocess_env(), "USER": "dana"}
    process = subprocess.Popen(
        setup.command("review", "--web"),
        env=env,
        cwd=setup.path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("Review page for dana: http://127.0.0.1:"):
        process.kill()
        raise AssertionError(f"no URL printed: {line!r} {process.communicate(timeout=30)}")
    return process, line.split(": ", 1)[1].strip()


@pytest.fixture
def page(world: Setup) -> Iterator[str]:
    process, url = serve(world)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    chrome = Browser(tmp_path / "profile")
    try:
        yield chrome
    finally:
        chrome.close()


def card_id(browser: Browser) -> int:
    return int(browser.js("document.getElementById('card').dataset.id"))


def consent_shown(browser: Browser) -> str:
    text = browser.text("h1 .state") or ""
    return text.split(": ", 1)[1]


def say(browser: Browser, key: str, words: str) -> None:
    """`r` or `h`, the words, Enter: a rejection or a hold, keys only."""
    browser.press(key)
    expected = "reject-text" if key == "r" else "hold-text"
    assert browser.js("document.activeElement.id") == expected
    browser.type(words)
    assert browser.press_and_load("Enter") == 200


def decide_here(browser: Browser, n: int) -> tuple[int, tuple[str, str | None, bool]]:
    """The reviewer's decision on the card on screen, keys only: approve what is matched
    (rejecting or holding some for what they see), override the first needs-check with a
    reason, meet the refusals (guardian-required and no form have no override) and reject
    or hold those."""
    tid, consent = card_id(browser), consent_shown(browser)
    if consent == "matched" and n % 5 == 3:
        say(browser, "r", "too dark to see her")
        assert f"testimony {tid}: rejected" in (browser.text(".said") or "")
        return tid, ("reject", "too dark to see her", False)
    if consent == "matched" and n % 7 == 6:
        say(browser, "h", "asking the school about the background")
        assert f"testimony {tid}: held" in (browser.text(".said") or "")
        return tid, ("hold", "asking the school about the background", False)
    status = browser.press_and_load("a")
    if status == 200:
        assert consent == "matched"
        assert f"testimony {tid}: approved" in (browser.text(".said") or "")
        return tid, ("approve", None, False)
    assert status == 422  # refused: the card stays, the reason on it
    refused = browser.text(".refused") or ""
    assert refused.startswith(f"testimony {tid}: ") and "--override" not in refused
    assert card_id(browser) == tid
    offered = browser.js("!!document.getElementById('override-text')")
    no_scope = "no target can carry it" in refused and "gives no scope" in refused
    if consent in ("guardian-required", "revoked", "none"):
        assert f"consent is {consent}" in refused
        assert not offered, "no override exists for this"
    elif no_scope:  # a form that allows no use: no override either
        assert not offered, "no override exists for this"
        say(browser, "r", "the form allows no use")
        assert f"testimony {tid}: rejected" in (browser.text(".said") or "")
        return tid, ("reject", "the form allows no use", False)
    else:
        assert offered and browser.js("document.activeElement.id") == "override-text", refused
    if consent == "needs-check" and n == 0:
        browser.type("called her: it is her on the form")
        assert browser.press_and_load("Enter") == 200
        assert f"testimony {tid}: approved" in (browser.text(".said") or "")
        return tid, ("approve", "override: called her: it is her on the form", True)
    browser.press("Escape")  # out of the override field, where one was offered
    if consent == "guardian-required":
        say(browser, "h", "asking the guardian to sign")
        assert f"testimony {tid}: held" in (browser.text(".said") or "")
        return tid, ("hold", "asking the guardian to sign", False)
    say(browser, "r", "no form for this person")
    assert f"testimony {tid}: rejected" in (browser.text(".said") or "")
    return tid, ("reject", "no form for this person", False)


def test_a_reviewer_decides_50_testimonies_with_the_keyboard_alone(
    world: Setup, page: str, browser: Browser
) -> None:
    started = time.monotonic()
    base = page.split("?", 1)[0]
    assert browser.open(base) == 403
    assert "Testimony" not in browser.js("document.body.innerText")
    assert browser.open(page) == 200
    assert "t=" not in browser.js("location.search")  # the token left the address bar

    first = card_id(browser)
    assert browser.press_and_load("j") == 200
    assert card_id(browser) != first
    assert browser.press_and_load("k") == 200
    assert card_id(browser) == first

    done: dict[int, tuple[str, str | None, bool]] = {}  # id -> (action, note, override)
    meanwhile: int | None = None
    # the queue as it comes, then each kind of consent through the filter in the address
    # bar, then the queue again until 50 are decided
    for selection, count in (
        ("", 20),
        ("?consent=needs-check", 8),
        ("?consent=guardian-required", 8),
        ("?consent=none", 8),
        ("", DECISIONS),
    ):
        assert browser.open(base + selection) == 200
        n = 0
        while (
            n < count and len(done) < DECISIONS and browser.js("!!document.getElementById('card')")
        ):
            if meanwhile is None and n == 10:
                # another reviewer decides this card from a terminal while it is on screen
                tid = card_id(browser)
                bob = as_user(world, "reject", str(tid), "--reason", "duplicate", user="bob")
                assert bob.exit_code == 0, bob.stderr
                assert browser.press_and_load("a") == 409
                said = browser.text(".changed") or ""
                assert f"testimony {tid} changed meanwhile: it is rejected (reject by bob" in said
                assert "duplicate" in (browser.text(".history") or "")
                meanwhile = tid
                assert browser.press_and_load("j") == 200
                continue
            tid, decision = decide_here(browser, n)
            done[tid] = decision
            n += 1
        if count == 20:
            assert n == 20, "20 testimonies in a row, keys only"
    elapsed = time.monotonic() - started
    assert len(done) == DECISIONS
    assert elapsed < BUDGET_SECONDS, f"{DECISIONS} decisions took {elapsed:.0f} s"

    kinds = {action for action, _, _ in done.values()}
    assert kinds == {"approve", "reject", "hold"} and meanwhile is not None
    assert [tid for tid, (_, _, override) in done.items() if override]  # one override
    refused_guardian = [
        tid for tid, (action, note, _) in done.items() if note == "asking the guardian to sign"
    ]
    assert refused_guardian  # a guardian-required one was refused, then held
    for tid, (action, note, override) in done.items():
        after = state(world, tid)
        assert after.review == {"approve": "approved", "reject": "rejected", "hold": "held"}[action]
        assert [d[:4] for d in after.decisions] == [(action, "dana", note, override)]
        if action == "approve":  # queued for what the form's scope allows (maybe nothing)
            assert set(after.publications.values()) <= {"queued"}
    assert [d[:3] for d in state(world, meanwhile).decisions] == [("reject", "bob", "duplicate")]
    with opened(world) as session:
        trail = session.execute(
            sql_select(models.AuditEntry.subject_id, models.AuditEntry.action).where(
                models.AuditEntry.actor == "dana",
                models.AuditEntry.subject_type == "testimony",
            )
        ).all()
    expected = {
        (str(tid), f"review.{action}" + (".override" if override else ""))
        for tid, (action, _, override) in done.items()
    }
    assert set(trail) == expected and len(trail) == DECISIONS


PAYLOADS = [
    "<img src=x onerror=\"document.title='pwned'\">",
    "<script>document.body.setAttribute('data-x','pwned')</script>",
    '"><svg onload="document.title=\'pwned\'">',
    "</td></table><iframe srcdoc=\"<script>parent.document.title='pwned'</script>\"></iframe>",
]


def poison(setup: Setup) -> list[int]:
    """Markup in every field the page shows, as a participant (or an attacker) typed it."""
    with opened(setup) as session, session.begin():
        forms: dict[int, int] = {}  # one testimony per form, so each keeps its payload
        for t in session.scalars(
            sql_select(models.Testimony)
            .where(models.Testimony.consent_id.is_not(None))
            .order_by(models.Testimony.priority, models.Testimony.id)
        ):
            forms.setdefault(t.consent_id or 0, t.id)
        shown = list(forms.values())[:4]
        for n, tid in enumerate(shown):
            payload = PAYLOADS[n % len(PAYLOADS)]
            session.execute(
                update(models.Post)
                .where(models.Post.testimony_id == tid)
                .values(
                    text=f"{payload} hello",
                    author_handle=f"{payload}h",
                    author_name=payload,
                    url=f"javascript:alert(1)//{payload}",
                    media_url=f"javascript:{payload}",
                )
            )
            consent_id = session.get(models.Testimony, tid).consent_id  # type: ignore[union-attr]
            session.execute(
                update(models.ConsentRecord)
                .where(models.ConsentRecord.id == consent_id)
                .values(
                    full_name=f"{payload} Ann",
                    city=payload,
                    country=payload,
                    role=payload,
                    guardian_name=payload,
                    guardian_relationship=payload,
                    consent_scope=[payload],
                )
            )
            session.execute(
                update(models.Testimony)
                .where(models.Testimony.id == tid)
                .values(question=payload, role=payload)
            )
    return shown


def inert(browser: Browser, tid: int) -> None:
    assert browser.js("document.title").startswith(f"Testimony {tid} · Review")
    assert browser.js("document.body.getAttribute('data-x')") is None
    assert browser.js("document.scripts.length") == 1  # the page's own review.js
    found = browser.js(
        "document.querySelectorAll('svg, iframe, object, embed, img:not([src^=\"https://\"])')"
        ".length"
        " + Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes)"
        ".some(a => a.name.startsWith('on'))).length"
        " + document.querySelectorAll('a[href^=\"javascript\"]').length"
    )
    assert found == 0


def test_participant_markup_in_every_field_is_text(world: Setup, browser: Browser) -> None:
    shown = poison(world)
    process, url = serve(world)
    try:
        base = url.split("?", 1)[0]
        assert browser.open(url) == 200
        for n, tid in enumerate(shown):
            payload = PAYLOADS[n % len(PAYLOADS)]
            assert browser.open(f"{base}/t/{tid}") == 200
            inert(browser, tid)
            assert browser.text(".copy .text") == f"{payload} hello"
            assert browser.text(".copy .author") == f"{payload}h"
            assert (browser.text(".form .f-name td") or "").startswith(f"{payload} Ann")
            for field in ("city", "country", "role", "scope"):
                assert (browser.text(f".form .f-{field} td") or "").startswith(payload), field
            assert payload in (browser.text(".form .f-guardian td") or "")
            assert payload in (browser.text(".form .role") or "")
            assert browser.js("document.querySelector('a.open')") is None  # not http(s)
        # a reviewer's words are shown back as text too
        tid = shown[0]
        assert browser.open(f"{base}/t/{tid}") == 200
        browser.press("r")
        browser.type(PAYLOADS[0])
        assert browser.press_and_load("Enter") == 200
        assert (browser.text(".said") or "").startswith(f"testimony {tid}: rejected")
        assert browser.open(f"{base}/t/{tid}") == 200
        inert(browser, tid)
        assert PAYLOADS[0] in (browser.text(".history") or "")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert state(world, shown[0]).decisions == [("reject", "dana", PAYLOADS[0], False, [])]


def test_the_harness_sees_script_run_when_there_is_script_to_run(
    tmp_path: Path, browser: Browser
) -> None:
    control = tmp_path / "control.html"
    control.write_text(f"<!doctype html><title>ok</title><body>{PAYLOADS[0]}{PAYLOADS[1]}")
    mark = len(browser.events)
    browser.call("Page.navigate", {"url": control.as_uri()}, session=True)
    browser.wait_for("Page.loadEventFired", mark)
    assert browser.js("document.body.getAttribute('data-x')") == "pwned"
    assert browser.js("document.title") == "pwned"


def several_copies(setup: Setup) -> int:
    """A pending testimony with two videos within the rules, each with evidence naming its
    form."""
    with opened(setup) as session:
        rows = session.execute(
            sql_select(models.Post.testimony_id, models.ConsentMatch.consent_id)
            .join(models.ConsentMatch, models.ConsentMatch.post_id == models.Post.id)
            .join(models.Testimony, models.Testimony.id == models.Post.testimony_id)
            .where(
                models.Testimony.review_state == "pending",
                models.Testimony.consent_state == "matched",
                models.ConsentMatch.consent_id == models.Testimony.consent_id,
                models.Post.media_type == "video",
                models.Post.duration_seconds <= 60,
            )
        ).all()
    counted: dict[int, int] = {}
    for tid, _ in rows:
        counted[tid] = counted.get(tid, 0) + 1
    found = sorted(tid for tid, n in counted.items() if n >= 2)
    assert found, "the sandbox world has testimonies posted on several platforms"
    return found[0]


def test_copies_chosen_with_the_keys_and_no_decision_without_the_csrf_token(
    world: Setup, page: str, browser: Browser
) -> None:
    tid = several_copies(world)
    base = page.split("?", 1)[0]
    assert browser.open(page) == 200
    assert browser.open(f"{base}/t/{tid}") == 200

    # the page's own cookie, but no CSRF token: refused, nothing decided
    status = browser.js(
        f"fetch('/t/{tid}/decide', {{method: 'POST', body: new URLSearchParams("
        f"{{action: 'approve', version: document.querySelector('input[name=version]').value}})"
        "}).then(r => r.status)",
        wait=True,
    )
    assert status == 403
    assert state(world, tid).decisions == []

    boxes = "Array.from(document.querySelectorAll('input.choose')).map(b => b.checked)"
    ticked = browser.js(boxes)
    assert len(ticked) >= 2 and all(ticked)
    browser.press("1")  # the first copy stays
    assert browser.js(boxes) == [False, *ticked[1:]]
    assert browser.press_and_load("a") == 200, browser.text(".refused")
    assert f"testimony {tid}: approved in part" in (browser.text(".said") or "")
    with opened(world) as session:
        decision = session.scalars(
            sql_select(models.Decision).where(models.Decision.testimony_id == tid)
        ).one()
        left = [c["left_out"] for c in decision.copies]
    assert left[0] is True and not any(left[1:])
