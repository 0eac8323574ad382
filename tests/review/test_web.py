"""The review page's rules, through Flask's test client on both engines: nothing without the
token, no POST without the CSRF token or from another origin, the same decisions as the CLI,
and a decision made elsewhere shown (409), never overwritten. The page in a real browser,
keys and all, is test_web_browser.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import review.queue
from config.clock import SystemClock
from db import models
from storydesk.web.app import Desk, create_app
from storydesk.web.security import COOKIE, CSP, TOKEN
from tests.review.conftest import as_user, opened, queue_json, state
from tests.sandboxed import Setup, load, session_factory

PORT = 8123
BASE = f"http://127.0.0.1:{PORT}"


def make_desk(setup: Setup, reviewer: str = "dana") -> Desk:
    return Desk(session_factory(setup.db_url), load(setup), SystemClock(), reviewer, port=PORT)


def client(desk: Desk, signed_in: bool = True) -> FlaskClient:
    app = create_app(desk)
    browser = app.test_client()
    if signed_in:
        answer = browser.get(f"{BASE}/?{TOKEN}={desk.keys.token}")
        assert answer.status_code == 303
    return browser


def shown(browser: FlaskClient, tid: int) -> dict[str, str]:
    """The card's hidden fields as a browser would send them back."""
    page = browser.get(f"{BASE}/t/{tid}").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert fields["csrf"] and fields["version"]
    return fields


def decide(browser: FlaskClient, tid: int, fields: dict[str, str], **form: str) -> Any:
    return browser.post(
        f"{BASE}/t/{tid}/decide",
        data={"csrf": fields["csrf"], "version": fields["version"], **form},
        headers={"Origin": BASE},
    )


def first(setup: Setup, consent: str) -> int:
    items = queue_json(setup, "--consent", consent, "--limit", "1")
    assert items, f"the sandbox world has no {consent} testimony"
    return int(items[0]["id"])


def test_nothing_is_served_without_the_token(harvested: Setup) -> None:
    desk = make_desk(harvested)
    stranger = client(desk, signed_in=False)
    tid = first(harvested, "matched")
    for path in ("/", f"/t/{tid}", "/static/review.js", "/static/review.css", "/nowhere"):
        answer = stranger.get(BASE + path)
        assert answer.status_code == 403, path
        assert "Testimony" not in answer.get_data(as_text=True)
    assert stranger.get(f"{BASE}/?{TOKEN}=not-the-token").status_code == 403
    assert stranger.post(f"{BASE}/t/{tid}/decide", data={"action": "approve"}).status_code == 403

    # the token opens the page once per browser: a cookie, and the token leaves the URL
    answer = stranger.get(f"{BASE}/t/{tid}?{TOKEN}={desk.keys.token}&consent=matched")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/t/{tid}?consent=matched"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = stranger.get(f"{BASE}/t/{tid}")
    assert page.status_code == 200 and f"Testimony {tid}" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert page.headers["Cache-Control"] == "no-store"
    assert desk.keys.token not in page.get_data(as_text=True)

    # a page elsewhere that renamed its host to 127.0.0.1 (DNS rebinding) gets nothing
    rebound = stranger.get(f"{BASE}/t/{tid}", headers={"Host": f"evil.example:{PORT}"})
    assert rebound.status_code == 403
    assert state(harvested, tid).decisions == []


def test_a_post_without_the_csrf_token_or_from_elsewhere_is_refused(harvested: Setup) -> None:
    desk = make_desk(harvested)
    browser = client(desk)
    tid = first(harvested, "matched")
    fields = shown(browser, tid)
    missing = browser.post(
        f"{BASE}/t/{tid}/decide",
        data={"version": fields["version"], "action": "approve"},
        headers={"Origin": BASE},
    )
    assert missing.status_code == 403
    forged = decide(browser, tid, {**fields, "csrf": "guessed"}, action="approve")
    assert forged.status_code == 403
    elsewhere = browser.post(
        f"{BASE}/t/{tid}/decide",
        data={"csrf": fields["csrf"], "version": fields["version"], "action": "approve"},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert state(harvested, tid).review == "pending" and state(harvested, tid).decisions == []

    taken = decide(browser, tid, fields, action="approve")
    assert taken.status_code == 303
    after = state(harvested, tid)
    assert after.review == "approved" and after.decisions[0][:2] == ("approve", "dana")


def test_the_page_takes_the_clis_decisions_with_the_same_rules(harvested: Setup) -> None:
    browser = client(make_desk(harvested))
    waiting = first(harvested, "needs-check")
    fields = shown(browser, waiting)

    refused = decide(browser, waiting, fields, action="approve")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f"testimony {waiting}: consent is needs-check, not matched" in page
    assert "--override" not in page  # the page asks for the reason itself
    assert 'id="override-text"' in page
    assert state(harvested, waiting).decisions == []

    empty = decide(browser, waiting, fields, action="approve", override="1", text=" ")
    assert empty.status_code == 422 and "An override reason is required" in empty.get_data(
        as_text=True
    )
    done = decide(browser, waiting, fields, action="approve", override="1", text="checked by phone")
    assert done.status_code == 303
    after = state(harvested, waiting)
    assert after.review == "approved"
    assert after.decisions == [
        ("approve", "dana", "override: checked by phone", True, after.decisions[0][4])
    ]
    said = browser.get(BASE + done.headers["Location"]).get_data(as_text=True)
    assert f"testimony {waiting}: approved; queued for" in said

    other = first(harvested, "matched")
    fields = shown(browser, other)
    assert decide(browser, other, fields, action="reject", text="").status_code == 422
    assert decide(browser, other, fields, action="reject", text="too dark").status_code == 303
    assert state(harvested, other).decisions == [("reject", "dana", "too dark", False, [])]
    with opened(harvested) as session:
        trail = session.execute(
            select(models.AuditEntry.action, models.AuditEntry.actor).where(
                models.AuditEntry.subject_type == "testimony",
                models.AuditEntry.subject_id.in_([str(waiting), str(other)]),
                models.AuditEntry.action.like("review.%"),
            )
        ).all()
    assert sorted(trail) == [("review.approve.override", "dana"), ("review.reject", "dana")]


def test_a_decision_made_elsewhere_is_shown_never_overwritten(harvested: Setup) -> None:
    tid = first(harvested, "matched")
    dana = client(make_desk(harvested, "dana"))
    erin = client(make_desk(harvested, "erin"))
    seen_by_dana = shown(dana, tid)
    seen_by_erin = shown(erin, tid)

    assert decide(erin, tid, seen_by_erin, action="hold", text="asking the school").status_code
    late = decide(dana, tid, seen_by_dana, action="reject", text="wrong person")
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert f"testimony {tid} changed meanwhile: it is held (hold by erin at " in page
    assert "your decision was not saved" in page
    assert "asking the school" in page  # the card as it now stands, with erin's note

    # and from a terminal: the CLI's decision is what the page then shows
    cli = as_user(harvested, "approve", str(tid), user="finn")
    assert cli.exit_code == 0, cli.stderr
    again = decide(
        dana, tid, shown(dana, tid) | {"version": seen_by_dana["version"]}, action="hold", text="x"
    )
    assert again.status_code == 409
    after = state(harvested, tid)
    assert [d[:2] for d in after.decisions] == [("hold", "erin"), ("approve", "finn")]


def test_a_consent_revoked_after_the_card_was_shown_is_said_and_nothing_approved(
    harvested: Setup,
) -> None:
    """The form is revoked between the page load and the click on Approve: before, the
    page said only "changed meanwhile: it is pending", which it already was; now it says
    the consent is revoked, and nothing is approved or queued."""
    browser = client(make_desk(harvested))
    item = queue_json(harvested, "--consent", "matched", "--limit", "1")[0]
    tid = int(item["id"])
    fields = shown(browser, tid)
    revoked = harvested.cli(
        "consent", "revoke", str(item["consent_id"]), "--reason", "participant withdrew"
    )
    assert revoked.exit_code == 0, revoked.stderr
    late = decide(browser, tid, fields, action="approve")
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert (
        f"testimony {tid} changed meanwhile: it is pending and its consent is revoked; "
        "your decision was not saved"
    ) in page
    after = state(harvested, tid)
    assert after.review == "pending" and after.decisions == [] and after.publications == {}


def test_a_right_to_left_override_in_a_name_does_not_turn_the_age_beside_it(
    harvested: Setup,
) -> None:
    """A form's name ending in U+202E (RIGHT-TO-LEFT OVERRIDE): before, the listing showed
    the age after it reversed ("Ann, 17" read "Ann 71 ,"); now the name is isolated in
    <bdi>, the age reads as stored. Likewise a reviewer's note in the history."""
    browser = client(make_desk(harvested))
    item = next(i for i in queue_json(harvested, "--limit", "0") if i["consent_id"] and i["age"])
    with opened(harvested) as session, session.begin():
        testimony = session.get(models.Testimony, item["id"])
        assert testimony is not None
        form = session.get(models.ConsentRecord, testimony.consent_id)
        assert form is not None
        form.full_name = "Ann\u202e Example"
    fields = shown(browser, item["id"])
    held = decide(browser, item["id"], fields, action="hold", text="asked\u202e school")
    assert held.status_code == 303
    page = browser.get(f"{BASE}/t/{item['id']}?status=held").get_data(as_text=True)
    assert f'<span class="name"><bdi>Ann\u202e</bdi>, {item["age"]}</span>' in page
    assert "by <bdi>dana</bdi>: <bdi>asked\u202e school</bdi></li>" in page


@pytest.mark.parametrize(
    "path", ["/t/999999", "/t/abc", "/t/0", "/t/2147483648", "/t/99999999999999999999"]
)
def test_an_unknown_testimony_is_404(harvested: Setup, path: str) -> None:
    """Also an id past the id column's range: before, a 500 (and a traceback in the
    terminal) from the driver's overflow, on the card and on a decision."""
    browser = client(make_desk(harvested))
    answer = browser.get(BASE + path)
    assert answer.status_code == 404
    assert answer.get_data(as_text=True) == "404 No such page or testimony.\n"
    fields = shown(browser, first(harvested, "matched"))
    refused = browser.post(
        f"{BASE}{path}/decide",
        data={
            "csrf": fields["csrf"],
            "version": fields["version"],
            "action": "reject",
            "text": "x",
        },
        headers={"Origin": BASE},
    )
    assert refused.status_code == 404


def test_filters_narrow_the_queue_beside_the_card(harvested: Setup) -> None:
    browser = client(make_desk(harvested))
    everyone = queue_json(harvested, "--limit", "0")
    youtube = [i["id"] for i in everyone if "youtube" in i["platforms"]]
    page = browser.get(f"{BASE}/?platform=youtube").headers["Location"]
    assert page.startswith(f"/t/{youtube[0]}?") and "platform=youtube" in page
    listed = browser.get(BASE + page).get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<span class="tid">(\d+)</span>', listed)]
    assert ids == youtube[:50]
    role = everyone[0]["role"]
    country = next(i["country"] for i in everyone if i["country"])
    narrowed = browser.get(f"{BASE}/?role={role}&country={country}&consent=matched")
    expected = [
        i["id"]
        for i in everyone
        if i["role"] == role and i["country"] == country and i["consent"] == "matched"
    ]
    if expected:
        assert narrowed.headers["Location"].startswith(f"/t/{expected[0]}?")
    else:
        assert "Nothing pending in this selection" in narrowed.get_data(as_text=True)


def test_the_page_counts_the_queue_as_the_cli_does_up_to_the_cap(
    harvested: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing's "N of M pending" comes from review.queue (queue_total), as `queue`'s
    line does: the whole count below COUNT_CAP, "COUNT_CAP+" past it."""
    pending = len(queue_json(harvested, "--limit", "0"))
    browser = client(make_desk(harvested))
    page = browser.get(f"{BASE}/", follow_redirects=True).get_data(as_text=True)
    assert re.search(rf'<p class="count">\d+ of {pending} pending</p>', page), page[:2000]
    monkeypatch.setattr(review.queue, "COUNT_CAP", 4)
    page = browser.get(f"{BASE}/", follow_redirects=True).get_data(as_text=True)
    assert re.search(r'<p class="count">\d+ of 4\+ pending</p>', page), page[:2000]
