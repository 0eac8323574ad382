"""Asking for consent, end to end on the sandbox: ask → one reply on X → the form comes back
with the request's code → matched by "form code" → approved → reshared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.ask.support import (
    harvested,
    import_export,
    replies_made,
    requests_of,
    show,
    unsigned_on_x,
)
from tests.publisher.flow import outbox
from tests.sandboxed import make_setup


def test_ask_then_the_signed_form_with_its_code_matches_and_publishes(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False)
    harvested(setup)
    [(tid, tweet)] = unsigned_on_x(setup)
    assert show(setup, tid)["consent"] == "none"

    asked = setup.cli("ask", str(tid), "--as", "staff")
    assert asked.exit_code == 0, asked.stderr
    assert f"testimony {tid}: replied under" in asked.stdout
    assert replies_made(setup) == 1
    [request] = requests_of(setup)
    assert (request.state, request.via, request.sent) == ("asked", "reply", 1)
    assert f"code={request.code}" in request.text

    again = setup.cli("ask", str(tid))
    assert again.exit_code == 0, again.stderr
    assert "already asked" in again.stdout
    assert replies_made(setup) == 1, "a second ask sends nothing"

    # The poster opens the link and signs with their name: the code ties the form to the
    # post (the form names no handle and no video).
    signed = setup.control("sign", {"native_id": tweet})
    assert signed["code"] == request.code
    import_export(setup)
    card = show(setup, tid)
    assert card["consent"] == "matched"
    assert card["consent_evidence"]["by"] == "form_code"
    assert card["consent_evidence"]["response_id"] == signed["response_id"]
    assert "form code" in setup.cli("show", str(tid)).stdout
    listed = setup.cli("consent", "requests", "--json")
    assert '"state": "answered"' in listed.stdout

    approved = setup.cli("approve", str(tid), "--as", "staff")
    assert approved.exit_code == 0, approved.stderr
    published = setup.cli("publish", "--target", "x")
    assert published.exit_code == 0, published.stderr
    done = [r for r in outbox(setup.db_url) if r.testimony_id == tid and r.target == "x"]
    assert [r.state for r in done] == ["done"]
    assert tweet in sandbox.state.retweets


def test_a_form_with_the_code_signed_by_someone_else_is_for_a_person_to_check(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    """The request is a public reply: anyone who reads it can open the link and sign. A form
    with the code that names neither the account asked nor a name like the poster's gives
    needs-check, so nothing goes out until a person has seen who signed."""
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False)
    harvested(setup)
    [(tid, tweet)] = unsigned_on_x(setup)
    assert setup.cli("ask", str(tid), "--as", "staff").exit_code == 0
    setup.control("sign", {"native_id": tweet, "name": "Somebody Else"})
    import_export(setup)
    card = show(setup, tid)
    assert card["consent"] == "needs-check"
    assert card["consent_evidence"]["by"] == "form_code"
    shown = setup.cli("show", str(tid)).stdout
    assert "form code" in shown and "check who signed" in shown
    refused = setup.cli("approve", str(tid), "--as", "staff")
    assert refused.exit_code == 1 and "needs-check" in refused.stderr
    assert setup.cli("publish", "--target", "x").exit_code == 0
    assert [r for r in outbox(setup.db_url) if r.testimony_id == tid] == []
    assert tweet not in sandbox.state.retweets


def test_dry_run_sends_and_records_nothing(tmp_path: Path, sandbox: Any, db_url: str) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False)
    harvested(setup)
    [(tid, _)] = unsigned_on_x(setup)
    outcome = setup.cli("ask", str(tid), "--dry-run")
    assert outcome.exit_code == 0, outcome.stderr
    assert "would reply" in outcome.stdout
    assert replies_made(setup) == 0
    assert requests_of(setup) == []


def test_where_storydesk_cannot_reply_it_prints_the_message_and_records_it(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False)
    harvested(setup)
    [(tid, _)] = unsigned_on_x(setup)
    refused = setup.cli("ask", str(tid), "--via", "message", "--as", "staff")
    assert refused.exit_code == 0, refused.stderr
    [request] = requests_of(setup)
    assert (request.via, request.state) == ("message", "asked")
    assert "send this by hand" in refused.stdout
    assert f"https://forms.example/unesco?code={request.code}" in refused.stdout
    assert replies_made(setup) == 0
    listed = setup.cli("consent", "requests")
    assert request.code in listed.stdout
    assert "already asked" in setup.cli("ask", str(tid)).stdout
    reminded = setup.cli("ask", str(tid), "--again")
    assert request.code in reminded.stdout
    [request] = requests_of(setup)
    assert (request.state, request.sent) == ("reminded", 2)


def test_an_unknown_testimony_fails_and_others_still_go(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False)
    harvested(setup)
    [(tid, _)] = unsigned_on_x(setup)
    outcome = setup.cli("ask", "999999", str(tid))
    assert outcome.exit_code == 1
    assert "no testimony 999999" in outcome.stderr
    assert replies_made(setup) == 1


def test_a_facebook_post_that_tags_the_page_is_asked_by_a_message_saying_why(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    import json

    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False)
    harvested(setup)
    queue = json.loads(setup.cli("queue", "--json", "--limit", "0").stdout)
    tid = next(
        int(t["id"])
        for t in queue
        if [c["platform"] for c in t.get("copies") or [t]] == ["facebook"]
    )
    refused = setup.cli("ask", str(tid), "--via", "reply")
    assert refused.exit_code == 0
    assert "Pages API" in refused.stdout and "--via message" in refused.stdout
    assert requests_of(setup) == []
    asked = setup.cli("ask", str(tid))
    assert "send this by hand" in asked.stdout
    [request] = requests_of(setup)
    assert (request.platform, request.via) == ("facebook", "message")
    assert setup.stats().get("replies", {}) == {}
