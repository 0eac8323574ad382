"""An opt-in by reply (#YesUNESCO from the poster) stands in for a signed form only where the
campaign file says so (consent.request.opt_in_as_consent = "social"): for the social targets,
for the copy it answered, never for a minor nor for someone whose age nothing says
(db/copies.py decides; approve and publish ask it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models
from db.copies import check_copies, opt_in_stand_in
from db.models import ConsentRequest, Post
from db.session import make_engine
from db.spoken import spoken_ages
from harvester.pipeline import ensure_campaign
from tests.ask.support import harvested, requests_of, show
from tests.consent.conftest import NOW, add_post, desk, sessions_of
from tests.publisher.flow import outbox
from tests.sandboxed import Setup, load, make_setup

__all__ = ["desk"]

SOCIAL = 'opt_in_as_consent = "social"'
NEVER = 'opt_in_as_consent = "never"'


def allow(setup: Setup) -> None:
    text = setup.config.read_text()
    assert NEVER in text
    setup.config.write_text(text.replace(NEVER, SOCIAL))


def unsigned_adult_on_x(setup: Setup) -> tuple[int, str]:
    """(testimony, tweet) with no form, tagging @UNESCO, a video within the rules, whose post
    says an adult's age."""
    engine = make_engine(setup.db_url)
    with Session(engine) as session:
        rows = session.execute(
            select(models.Testimony.id, Post.native_id, Post.mentions, Post.text)
            .join(Post, Post.testimony_id == models.Testimony.id)
            .where(
                models.Testimony.consent_state == "none",
                Post.platform == "x",
                Post.media_type == "video",
                Post.duration_seconds <= 60,
            )
            .order_by(models.Testimony.id)
        ).all()
    engine.dispose()
    for tid, tweet, mentions, text in rows:
        ages = spoken_ages(text or "")
        if "UNESCO" in (mentions or []) and ages and min(ages) >= 18:
            return tid, tweet
    raise AssertionError("the sandbox campaign has an unsigned adult on X")


def test_allowed_an_opt_in_reshares_on_social_targets_only(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False, targets=("x", "gallery"))
    allow(setup)
    harvested(setup)
    tid, _tweet = unsigned_adult_on_x(setup)
    assert setup.cli("ask", str(tid)).exit_code == 0
    [request] = requests_of(setup)
    refused = setup.cli("approve", str(tid), "--as", "staff")
    assert refused.exit_code == 1 and "consent is none" in refused.stderr  # no answer yet

    yes = setup.control(
        "reply",
        {"platform": "x", "in_reply_to": request.external_id, "by": "author", "text": "#YesUNESCO"},
    )["id"]
    said = json.loads(setup.cli("consent", "answers", "--json").stdout)
    assert len(said["opt_ins"]) == 1
    card = show(setup, tid)
    assert card["consent"] == "none"  # intent, shown as what stands in, not as a form
    [copy] = [c for c in card["copies"] if c["platform"] == "x"]
    assert copy["goes_out"] and copy["consent"] == "opt-in", (copy["consent"], copy["reasons"])
    assert copy["evidence"]["by"] == "opt_in_reply" and copy["evidence"]["value"] == yes

    approved = setup.cli("approve", str(tid), "--as", "staff", "--json")
    assert approved.exit_code == 0, approved.stdout
    [answer] = json.loads(approved.stdout)
    assert answer["queued"] == ["x"]
    assert answer["not_queued"] == {
        "gallery": "an opt-in by reply stands in for the 'social' scope only, not gallery"
    }
    assert setup.cli("publish").exit_code == 0
    [row] = [r for r in outbox(setup.db_url) if r.testimony_id == tid]
    assert (row.target, row.state) == ("x", "done")


def test_not_allowed_an_opt_in_is_intent_only(tmp_path: Path, sandbox: Any, db_url: str) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False, targets=("x",))
    harvested(setup)
    tid, _tweet = unsigned_adult_on_x(setup)
    assert setup.cli("ask", str(tid)).exit_code == 0
    [request] = requests_of(setup)
    setup.control(
        "reply",
        {"platform": "x", "in_reply_to": request.external_id, "by": "author", "text": "#YesUNESCO"},
    )
    assert len(json.loads(setup.cli("consent", "answers", "--json").stdout)["opt_ins"]) == 1
    refused = setup.cli("approve", str(tid), "--as", "staff")
    assert refused.exit_code == 1 and "consent is none" in refused.stderr
    assert outbox(setup.db_url) == []


def opted_in(setup: Setup, text: str, state: str = "asked", key: str = "77") -> tuple[int, int]:
    """A testimony with no form whose poster answered our request with the opt-in hashtag."""
    sessions = sessions_of(setup)
    with sessions.begin() as session:
        ensure_campaign(session, load(setup), NOW)
    post, tid = add_post(sessions, "x", key, handle=f"amina_{key}", text=text)
    add_post(sessions, "youtube", f"abcdefgh{key}", text=text, testimony=tid)
    with sessions.begin() as session:
        session.add(
            ConsentRequest(
                campaign_id="learning-never-stops",
                testimony_id=tid,
                post_id=post,
                platform="x",
                person=f"x:amina_{key}",
                code=f"c0de{key}",
                via="reply",
                language="en",
                text="May UNESCO reshare it?",
                state=state,
                sent=1,
                actor="staff",
                created_at=NOW,
                updated_at=NOW,
                opt_in_post_id="1999",
                opt_in_at=NOW,
            )
        )
    return tid, post


def judged(setup: Setup, tid: int) -> tuple[Any, str | None, dict[str, bool]]:
    with sessions_of(setup)() as session:
        testimony = session.get_one(models.Testimony, tid)
        settings = load(setup).settings
        stand_in, why = opt_in_stand_in(session, testimony, settings)
        plan = {c.platform: c.goes_out for c in check_copies(session, testimony, settings)}
    return stand_in, why, plan


ADULT = "Hi, I'm Amina, I'm 24 years old from Nairobi, Kenya. #LearningNeverStops @UNESCO"


def test_the_opt_in_stands_in_for_the_copy_it_answered_only(desk: Setup) -> None:
    allow(desk)
    tid, post = opted_in(desk, ADULT)
    stand_in, why, plan = judged(desk, tid)
    assert why is None and stand_in.post_id == post and stand_in.reply == "1999"
    assert plan == {"x": True, "youtube": False}  # the YouTube copy has no evidence of its own


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "Hi, I'm Amina, I'm 15 years old from Nairobi. #LearningNeverStops @UNESCO",
            "the post says the person is 15: a minor needs a signed form",
        ),
        (
            "I'm Amina, I teach maths in Nairobi. #LearningNeverStops @UNESCO",
            "nothing says the person's age: an opt-in never stands in for a minor",
        ),
        (
            "I'm 24... my sister is 12 years old too. #LearningNeverStops @UNESCO",
            "the post says the person is 12: a minor needs a signed form",
        ),
    ],
)
def test_never_for_a_minor_nor_an_unknown_age(desk: Setup, text: str, said: str) -> None:
    allow(desk)
    tid, _ = opted_in(desk, text)
    stand_in, why, plan = judged(desk, tid)
    assert (stand_in, why) == (None, said)
    assert not any(plan.values())
    refused = desk.cli("approve", str(tid), "--as", "staff")
    assert refused.exit_code == 1 and "consent is none" in refused.stderr


def test_never_unless_the_campaign_file_says_so_nor_after_a_withdrawal(desk: Setup) -> None:
    tid, _ = opted_in(desk, ADULT)
    assert judged(desk, tid)[:2] == (
        None,
        "the campaign file does not let an opt-in by reply stand in for a form",
    )
    allow(desk)
    withdrawn, _ = opted_in(desk, ADULT, state="withdrawn", key="78")
    assert judged(desk, withdrawn)[:2] == (None, "no opt-in by reply")
