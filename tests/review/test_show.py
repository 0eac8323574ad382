"""`storydesk show ID`: everything a reviewer needs about one testimony, as text and JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from db import models
from review.card import EVIDENCE
from tests.review.conftest import as_user, opened, queue_json
from tests.sandboxed import Setup


def show_json(setup: Setup, tid: int) -> dict[str, Any]:
    outcome = setup.cli("show", str(tid), "--json")
    assert outcome.exit_code == 0, outcome.stderr
    card: dict[str, Any] = json.loads(outcome.stdout)
    return card


def with_guardian(setup: Setup) -> tuple[int, models.ConsentRecord]:
    """A queued testimony whose form was signed by a guardian (a pupil's testimony)."""
    with opened(setup) as session:
        tid, record = session.execute(
            select(models.Testimony.id, models.ConsentRecord)
            .join(models.ConsentRecord, models.ConsentRecord.id == models.Testimony.consent_id)
            .where(models.ConsentRecord.guardian_name.is_not(None))
            .where(models.Testimony.id.in_(select(models.Post.testimony_id)))
            .order_by(models.Testimony.id)
            .limit(1)
        ).one()
        session.expunge(record)
    return tid, record


def test_show_gives_text_every_copy_rules_consent_evidence_and_the_form(
    harvested: Setup,
) -> None:
    tid, form = with_guardian(harvested)
    item = next(i for i in queue_json(harvested, "--limit", "0") if i["id"] == tid)
    outcome = harvested.cli("show", str(tid))
    assert outcome.exit_code == 0, outcome.stderr
    text = outcome.stdout
    assert text.startswith(f"Testimony {tid}   review: pending   consent: {item['consent']}\n")
    for copy in item["copies"]:
        assert f"[{copy['platform']}] {copy['url']}" in text
    assert "  text: " + item["text"].replace("\n", " ") + "\n" in text  # whole, not an excerpt
    assert "  problems: " + ("; ".join(item["problems"]) or "none") + "\n" in text
    card = show_json(harvested, tid)
    evidence = card["consent_evidence"]
    assert f"  evidence: {EVIDENCE[evidence['by']]} ({evidence['value']})\n" in text
    assert (
        f"  form {form.response_id} v{form.version}: {form.full_name}, age {form.age}, "
        f"{form.city}, {form.country}; guardian {form.guardian_name} "
        f"({form.guardian_relationship}), {'signed' if form.guardian_signed else 'NOT signed'}; "
        f"scope: {', '.join(form.consent_scope)}\n"
    ) in text


@pytest.mark.world(posts=60)
def test_show_lists_rule_failures(harvested: Setup) -> None:
    item = next(i for i in queue_json(harvested, "--limit", "0") if i["problems"])
    outcome = harvested.cli("show", str(item["id"]))
    assert f"  problems: {'; '.join(item['problems'])}\n" in outcome.stdout
    assert show_json(harvested, item["id"])["problems"] == item["problems"]


def test_show_json_carries_form_fields_copies_and_history(harvested: Setup) -> None:
    tid, form = with_guardian(harvested)
    card = show_json(harvested, tid)
    assert card["id"] == tid and card["review"] == "pending" and card["decisions"] == []
    assert card["form"]["response_id"] == form.response_id
    assert {k: card["form"][k] for k in ("full_name", "age", "guardian_name")} == {
        "full_name": form.full_name,
        "age": form.age,
        "guardian_name": form.guardian_name,
    }
    assert card["form"]["guardian_signed"] is form.guardian_signed
    assert card["form"]["consent_scope"] == form.consent_scope
    with opened(harvested) as session:
        urls = session.scalars(select(models.Post.url).where(models.Post.testimony_id == tid))
        assert sorted(p["url"] for p in card["posts"]) == sorted(urls)

    assert as_user(harvested, "approve", str(tid), "--note", "lovely", user="ana").exit_code == 0
    assert as_user(harvested, "hold", str(tid), "--note", "school asks", user="ben").exit_code == 0
    card = show_json(harvested, tid)
    history = [(d["action"], d["reviewer"], d["note"]) for d in card["decisions"]]
    assert history == [("approve", "ana", "lovely"), ("hold", "ben", "school asks")]
    assert all(d["consent_version"] == form.version for d in card["decisions"])
    assert card["publications"] and all(p["state"] == "skipped" for p in card["publications"])
    text = harvested.cli("show", str(tid)).stdout
    assert " approve by ana: lovely\n" in text and " hold by ben: school asks\n" in text
    for publication in card["publications"]:
        assert f"  → {publication['target']}: skipped " in text


def test_show_without_a_form_says_so(harvested: Setup) -> None:
    item = next(i for i in queue_json(harvested, "--limit", "0") if i["consent"] == "none")
    card = show_json(harvested, item["id"])
    assert card["form"] is None and card["consent"] == "none"
    assert "  form " not in harvested.cli("show", str(item["id"])).stdout


def test_an_unknown_id_is_one_line_and_exit_1(harvested: Setup) -> None:
    outcome = harvested.cli("show", "99999")
    assert (outcome.exit_code, outcome.stdout) == (1, "")
    assert outcome.stderr == "storydesk: no testimony 99999 (see `storydesk queue`)\n"


def test_control_characters_in_a_post_never_reach_the_terminal(harvested: Setup) -> None:
    item = queue_json(harvested)[0]
    hostile = "Hi\x1b[2J\x1b]0;owned\x07 there\r\nmore"
    with opened(harvested) as session, session.begin():
        session.execute(
            update(models.Post)
            .where(models.Post.testimony_id == item["id"])
            .values(text=hostile, author_handle="eve\x1b[31m")
        )
    shown = harvested.cli("show", str(item["id"])).stdout
    listed = harvested.cli("queue").stdout
    for output in (shown, listed):
        # newlines end lines and tabs separate the plain table's cells: nothing else
        assert not any(ord(c) < 32 and c not in "\n\t" or 127 <= ord(c) < 160 for c in output)
    assert "Hi\ufffd[2J\ufffd]0;owned\ufffd there  more" in shown
    assert show_json(harvested, item["id"])["posts"][0]["text"] == hostile  # JSON keeps data
