"""Answers by reply under a request: #NoUNESCO from the poster withdraws consent and every
reshare comes down; from anyone else it changes nothing. #YesUNESCO is intent, not a form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.ask.support import (
    harvested,
    import_export,
    replies_made,
    requests_of,
    show,
    takedown_reasons,
    unsigned_on_x,
)
from tests.publisher.flow import outbox
from tests.sandboxed import Setup, make_setup

TARGETS = ("x", "facebook", "linkedin", "gallery")


def asked_signed_published(setup: Setup) -> tuple[int, str, str]:
    """A testimony asked by reply, signed with the code, approved and reshared."""
    harvested(setup)
    [(tid, tweet)] = unsigned_on_x(setup)
    assert setup.cli("ask", str(tid)).exit_code == 0
    setup.control("sign", {"native_id": tweet})
    import_export(setup)
    assert show(setup, tid)["consent"] == "matched"
    assert setup.cli("approve", str(tid), "--as", "staff").exit_code == 0
    published = setup.cli("publish")
    assert published.exit_code == 0, published.stderr
    [request] = requests_of(setup)
    assert request.external_id
    return tid, tweet, request.external_id


def reply(setup: Setup, under: str, by: str, text: str) -> str:
    answer = setup.control("reply", {"platform": "x", "in_reply_to": under, "by": by, "text": text})
    return str(answer["id"])


def answers(setup: Setup) -> dict[str, Any]:
    outcome = setup.cli("consent", "answers", "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return dict(json.loads(outcome.stdout))


def test_no_from_the_author_takes_every_reshare_down_from_someone_else_nothing(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False, targets=TARGETS)
    tid, _tweet, our_reply = asked_signed_published(setup)
    live = {r.target for r in outbox(setup.db_url) if r.testimony_id == tid and r.state == "done"}
    assert {"x", "gallery"} <= live

    reply(setup, our_reply, "other", "Not theirs to share! #NoUNESCO")
    said = answers(setup)
    assert said["withdrawals"] == [] and len(said["ignored"]) == 1
    assert setup.cli("publish").exit_code == 0
    rows = [r for r in outbox(setup.db_url) if r.testimony_id == tid]
    assert {r.target for r in rows if r.state == "done"} == live, "someone else: nothing"
    assert show(setup, tid)["consent"] == "matched"

    proof = reply(setup, our_reply, "author", "I changed my mind #NoUNESCO")
    said = answers(setup)
    assert len(said["withdrawals"]) == 1 and proof in said["withdrawals"][0]
    assert show(setup, tid)["consent"] == "revoked"
    assert setup.cli("publish").exit_code == 0
    rows = [r for r in outbox(setup.db_url) if r.testimony_id == tid]
    assert {r.target for r in rows if r.state == "taken-down"} == live
    reasons = takedown_reasons(setup, tid)
    assert all(proof in (reasons[target] or "") for target in live), reasons
    [request] = requests_of(setup)
    assert (request.state, request.withdrawn_post_id) == ("withdrawn", proof)
    # never asked again, and a second reading changes nothing
    assert "never asks again" in setup.cli("ask", str(tid), "--again").stdout
    assert answers(setup)["withdrawals"] == []


def test_yes_is_recorded_as_intent_and_never_as_a_form(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False, targets=TARGETS)
    harvested(setup)
    [(tid, _tweet)] = unsigned_on_x(setup)
    assert setup.cli("ask", str(tid)).exit_code == 0
    [request] = requests_of(setup)
    assert request.external_id
    reply(setup, request.external_id, "other", "#YesUNESCO")
    yes = reply(setup, request.external_id, "author", "Happy to! #YesUNESCO")
    said = answers(setup)
    assert len(said["opt_ins"]) == 1 and len(said["ignored"]) == 1
    [request] = requests_of(setup)
    assert request.opt_in_post_id == yes and request.opt_in_at is not None
    listed = json.loads(setup.cli("consent", "requests", "--json").stdout)
    assert listed[0]["opt_in_post_id"] == yes
    assert show(setup, tid)["consent"] == "none", "intent is not a signed form"
    refused = setup.cli("approve", str(tid), "--as", "staff")
    assert refused.exit_code != 0


def test_the_next_cycle_reads_the_withdrawal_and_takes_the_reshares_down(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    """Nobody has to run `consent answers`: the compliance job of `run-once` reads them."""
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False, targets=TARGETS)
    tid, _tweet, our_reply = asked_signed_published(setup)
    live = {r.target for r in outbox(setup.db_url) if r.testimony_id == tid and r.state == "done"}
    proof = reply(setup, our_reply, "author", "Please remove it #NoUNESCO")
    cycle = setup.cli("run-once")
    assert cycle.exit_code == 0, cycle.stderr
    rows = [r for r in outbox(setup.db_url) if r.testimony_id == tid]
    assert {r.target for r in rows if r.state == "taken-down"} == live, cycle.stdout
    assert all(proof in (reason or "") for reason in takedown_reasons(setup, tid).values())


def test_a_poster_who_withdrew_by_reply_without_a_form_is_purged_by_the_sweep(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    """#NoUNESCO with no form behind it: the testimony is `revoked`, so neither the
    never-matched minimisation nor the revoked-form purge reached it; the name, handle and
    words stayed for ever, and our request's text kept greeting the poster by name."""
    from sqlalchemy import select

    from db.models import AuditEntry, Post
    from tests.sandboxed import session_factory

    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False, targets=TARGETS)
    harvested(setup)
    [(tid, _tweet)] = unsigned_on_x(setup)
    assert setup.cli("ask", str(tid)).exit_code == 0
    [request] = requests_of(setup)
    sessions = session_factory(setup.db_url)
    with sessions() as session:
        post = session.scalars(select(Post).where(Post.testimony_id == tid)).one()
        name, handle, words = post.author_name, post.author_handle, post.text
    assert name and handle and words and name.split()[0] in request.text
    proof = reply(setup, str(request.external_id), "author", "Please don't #NoUNESCO")
    assert len(answers(setup)["withdrawals"]) == 1

    for _ in range(2):  # a second sweep finds nothing more to do
        swept = setup.cli("compliance", "--json")
        assert swept.exit_code == 0, swept.stderr
    with sessions() as session:
        post = session.scalars(select(Post).where(Post.testimony_id == tid)).one()
        assert post.purged_at is not None and post.text == ""
        assert (post.author_name, post.author_handle, post.author_id, post.raw) == (None,) * 4
        proofs = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.withdrawn-purged")
        ).all()
        assert len(proofs) == 1 and proofs[0].detail["withdrawn_post_id"] == proof
        assert name not in str(proofs[0].detail) and handle not in str(proofs[0].detail)
    [request] = requests_of(setup)
    assert request.state == "withdrawn" and request.withdrawn_post_id == proof
    assert name.split()[0] not in request.text and request.code
    listed = json.loads(setup.cli("consent", "requests", "--json").stdout)
    assert listed[0]["text"] == "" and listed[0]["withdrawn_post_id"] == proof
    assert "never asks again" in setup.cli("ask", str(tid), "--again").stdout


def test_a_request_under_a_post_purged_for_want_of_a_form_loses_its_greeting(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    """No form within the retention period: the post keeps only its ids and URL, and our
    request ("Hi <first name>...") its code and states; `ask --again` sends no reminder
    from what is no longer kept (it would have re-sent the greeting, or an empty reply)."""
    from datetime import UTC, datetime, timedelta

    from compliance.sweep import run_sweep
    from config.clock import FakeClock
    from tests.sandboxed import load, session_factory

    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False, targets=TARGETS)
    harvested(setup)
    [(tid, _tweet)] = unsigned_on_x(setup)
    assert setup.cli("ask", str(tid)).exit_code == 0
    [request] = requests_of(setup)
    first_name = request.text.split()[1].rstrip(",")  # "Hi Samuel, ..."
    assert first_name and replies_made(setup) == 1

    loaded = load(setup)
    days = loaded.settings.compliance.purge_unmatched_after_days
    sessions = session_factory(setup.db_url)
    later = FakeClock(datetime.now(UTC) + timedelta(days=days + 1))
    assert run_sweep(sessions, loaded, later, steps=[]).minimised >= 1
    sessions.kw["bind"].dispose()
    [request] = requests_of(setup)
    assert request.text == "" and request.code and request.state == "asked"

    again = setup.cli("ask", str(tid), "--again")
    assert again.exit_code == 0, again.stderr
    assert "its post was purged" in again.stdout
    assert replies_made(setup) == 1, "no reminder was sent"
