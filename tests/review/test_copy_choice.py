"""Choosing copies one by one: a testimony posted on X and YouTube, both copies with their own
evidence, of which the reviewer sends only one. The same rule (review.actions.approve, with
db/copies.py deciding) through its three faces: `approve --copy`, the review page's boxes and
the terminal review's `c`; the publisher then reshares only the copy chosen."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pexpect
import pytest
from sqlalchemy import select

from db import models
from db.copies import LEFT_OUT, check_copies
from review.actions import approve
from tests.consent.conftest import NOW, add_post, desk, form, sessions_of, write_export
from tests.review.conftest import opened, state
from tests.review.test_interactive import KEYS, spawn
from tests.review.test_web import BASE, client, decide, make_desk, shown
from tests.sandboxed import Setup, load

__all__ = ["desk"]


@dataclass
class Two:
    setup: Setup
    tid: int
    x: int  # the X copy's post id
    youtube: int


@pytest.fixture
def two(desk: Setup) -> Two:
    export = write_export(
        desk.path / "forms.csv",
        [
            form(
                "R1",
                "Amina Kamau",
                x_handle="amina_k",
                age="30",
                consent_scope="website;x;youtube",
                youtube_channel="UC0000000000000000000001",
            )
        ],  # fmt: skip
    )
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    sessions = sessions_of(desk)
    x, tid = add_post(sessions, "x", "5", handle="amina_k")
    youtube, _ = add_post(
        sessions, "youtube", "abcdefghijk", author_id="UC0000000000000000000001", testimony=tid
    )
    assert desk.cli("match").exit_code == 0
    return Two(desk, tid, x, youtube)


def plan(two: Two) -> dict[str, bool]:
    """What the publisher would send now, copy by copy (db/copies.py on the latest approval)."""
    with opened(two.setup) as session:
        testimony = session.get_one(models.Testimony, two.tid)
        return {
            c.platform: c.goes_out
            for c in check_copies(session, testimony, load(two.setup).settings)
        }


def test_approve_copy_sends_only_the_copy_chosen(two: Two) -> None:
    answer = two.setup.cli("approve", str(two.tid), "--copy", str(two.x), "--as", "kim", "--json")
    assert answer.exit_code == 0, answer.stderr
    (said,) = json.loads(answer.stdout)
    assert said["result"] == "approved-in-part"
    assert said["queued"] == ["x", "gallery"]
    assert said["not_queued"]["youtube"] == f"the YouTube copy does not go out: {LEFT_OUT}"
    copies = {c["platform"]: c for c in said["copies"]}
    assert copies["x"]["goes_out"] and not copies["x"]["left_out"]
    assert not copies["youtube"]["goes_out"] and copies["youtube"]["reasons"] == [LEFT_OUT]
    # the choice is kept with the decision and its audit entry, and publishing follows it
    with opened(two.setup) as session:
        decision = session.scalars(select(models.Decision)).one()
        assert {c["platform"]: c["left_out"] for c in decision.copies} == {
            "x": False,
            "youtube": True,
        }
        entry = session.scalars(
            select(models.AuditEntry).where(models.AuditEntry.action == "review.approve")
        ).one()
        assert [c["platform"] for c in entry.detail["copies"] if c["left_out"]] == ["youtube"]
    assert plan(two) == {"x": True, "youtube": False}
    assert state(two.setup, two.tid).publications == {"x": "queued", "gallery": "queued"}

    shown_card = two.setup.cli("show", str(two.tid))
    assert f"copy 2 [youtube] post {two.youtube} stays: {LEFT_OUT}" in shown_card.stdout


def test_a_copy_of_another_testimony_or_none_at_all_is_refused(two: Two) -> None:
    other = two.setup.cli("approve", str(two.tid), "--copy", "999999", "--as", "kim")
    assert other.exit_code == 1
    assert other.stderr == (
        f"storydesk: testimony {two.tid}: refused: not a copy of this testimony: post 999999\n"
    )
    with sessions_of(two.setup).begin() as session:
        (nothing,) = approve(session, load(two.setup), [two.tid], "kim", NOW, copies=[])
        assert (nothing.ok, nothing.result) == (False, "refused")
        assert LEFT_OUT in nothing.message
        session.rollback()
    assert state(two.setup, two.tid).review == "pending"


def test_the_review_page_offers_a_box_per_copy_and_sends_only_those_ticked(two: Two) -> None:
    browser = client(make_desk(two.setup))
    page = browser.get(f"{BASE}/t/{two.tid}").get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" form="approve" name="copy" value="(\d+)"', page)
    assert sorted(int(b) for b in boxes) == sorted([two.x, two.youtube])
    assert page.count(" checked>") == 2  # every copy that may go out, until unticked
    fields = shown(browser, two.tid)
    assert fields["choose"] == "1"
    taken = browser.post(
        f"{BASE}/t/{two.tid}/decide",
        data={
            "csrf": fields["csrf"],
            "version": fields["version"],
            "action": "approve",
            "choose": "1",
            "copy": [str(two.youtube)],
        },
        headers={"Origin": BASE},
    )
    assert taken.status_code == 303
    assert plan(two) == {"x": False, "youtube": True}
    assert state(two.setup, two.tid).publications == {"youtube": "queued", "gallery": "queued"}
    card = browser.get(f"{BASE}/t/{two.tid}").get_data(as_text=True)
    assert f"stays: {LEFT_OUT}" in card and 'name="copy"' not in card  # decided: no boxes


def test_the_review_page_without_a_box_ticked_sends_nothing(two: Two) -> None:
    browser = client(make_desk(two.setup))
    fields = shown(browser, two.tid)
    refused = decide(browser, two.tid, fields, action="approve", choose="1")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "no copy can go out" in page and LEFT_OUT in page
    assert page.count(" checked>") == 0  # the page shows the choice as it was sent
    assert state(two.setup, two.tid).review == "pending"


def test_the_terminal_review_chooses_copies_by_number(two: Two) -> None:
    child = spawn(two.setup, "review")
    child.expect(rf"Testimony {two.tid}   review: pending")
    child.expect(rf"copy 1 \[x\] post {two.x} goes out")
    child.expect(rf"copy 2 \[youtube\] post {two.youtube} goes out")
    child.expect(KEYS)
    child.send("c")
    child.expect(r"Copies to send, by number .*: ")
    child.sendline("7")
    child.expect(r"'7' is no copy number \(1 to 2\); nothing changed\.")
    child.expect(KEYS)
    child.send("c")
    child.sendline("2")
    child.expect(r"To send: copy 2 \[youtube\]; the others stay\. Press a to approve\.")
    child.expect(KEYS)
    child.send("a")
    child.expect(rf"testimony {two.tid}: approved in part; queued for youtube, gallery")
    child.expect(r"stays: +\[x\] \S+: " + re.escape(LEFT_OUT))
    child.expect(r"Queue empty: 1 decided")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert plan(two) == {"x": False, "youtube": True}
