"""A world of more than 200 people with namesakes (same first name, age and city, other
accounts and forms, the same scripted words on the same days), people with two X accounts,
X handles written in the form's Instagram column, typos and minors: 'matched' always names
the right form, and over the whole cycle (harvest, match, approve, publish against the
sandbox) no copy is reshared under another person's form."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db import models
from publisher.jobs import build_job
from sandbox.world import post_url
from tests.publisher.flow import outbox
from tests.sandboxed import load, make_setup, session_factory

YOUTUBE = re.compile(r"watch\?v=([\w-]{11})")


@pytest.fixture
def namesake_sandbox() -> Iterator[Any]:
    from sandbox.server import start_sandbox

    server = start_sandbox(port=0, posts=300, seed=13, namesakes=60)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_matched_names_the_right_form_and_nothing_goes_out_under_another_persons_form(
    tmp_path: Path, namesake_sandbox: Any, sqlite_url: str
) -> None:
    world = namesake_sandbox.state.world
    people = world.people
    assert len({p.response_id or f"p{p.index}" for p in people}) >= 200
    namesakes = {(p.first_name, p.age, p.city) for p in people if p.age is not None}
    assert len(namesakes) < len([p for p in people if p.age is not None])  # some share all
    assert any(p.age is not None and p.age < 18 for p in people)
    truth = {(p.platform, p.native_id): people[p.person].response_id for p in world.posts}
    urls = {
        post_url(p, people[p.person].handles[p.platform]): people[p.person].response_id
        for p in world.posts
    }

    setup = make_setup(tmp_path, namesake_sandbox.base_url, sqlite_url)
    harvested = setup.cli("harvest")
    assert harvested.exit_code == 0, harvested.stderr
    assert setup.cli("match").exit_code == 0
    sessions = session_factory(setup.db_url)

    # precision 1.0: every 'matched' copy names the form of the person who posted it
    with sessions() as session:
        rows = session.execute(
            select(models.Post.platform, models.Post.native_id, models.ConsentRecord.response_id)
            .join(models.ConsentMatch, models.ConsentMatch.post_id == models.Post.id)
            .join(models.ConsentRecord, models.ConsentRecord.id == models.ConsentMatch.consent_id)
            .where(models.ConsentMatch.state == "matched")
        ).all()
    assert len(rows) > 150
    wrong = [(p, n, r) for p, n, r in rows if truth[(p, n)] != r]
    assert wrong == []

    # approve every matched testimony, then one full publish cycle
    queue = json.loads(setup.cli("queue", "--json", "--limit", "0").stdout)
    ids = [str(i["id"]) for i in queue if i["consent"] == "matched"]
    answers = json.loads(setup.cli("approve", *ids, "--as", "tester", "--json").stdout)
    assert sum(a["ok"] for a in answers) > 50
    for answer in answers:  # what approval says goes out is the right person's
        for copy in answer["copies"]:
            if copy["goes_out"]:
                assert urls.get(copy["url"], copy["form"]) == copy["form"], copy
    published = setup.cli("publish")
    # 75 only when Instagram's 24-hour publishing limit (50 in the sandbox) holds the rest
    assert published.exit_code in (0, 1) or (
        published.exit_code == 75 and "content_publishing_limit" in published.stderr
    ), published.stderr

    loaded = load(setup)
    done = [r for r in outbox(setup.db_url) if r.state == "done"]
    assert {r.target for r in done} >= {"x", "youtube", "facebook", "gallery"}
    with sessions() as session:
        form_of = {
            t.id: (session.get_one(models.ConsentRecord, t.consent_id).response_id)
            for t in session.scalars(
                select(models.Testimony).where(models.Testimony.consent_id.is_not(None))
            )
        }
        for row in done:
            job = build_job(session, loaded, session.get_one(models.Publication, row.id))
            for copy in job.copies:  # every copy a target was handed
                assert truth[(copy.platform, copy.native_id)] == form_of[row.testimony_id]
    # and on the platforms: what was retweeted, added to the playlist, linked from the Page
    state = namesake_sandbox.state
    by_external = {r.external_id: form_of[r.testimony_id] for r in done}
    for tweet in state.retweets:
        assert truth[("x", tweet)] == by_external[f"retweet:{tweet}"]
    for item_id, item in state.published["youtube"].items():
        video = item["snippet"]["resourceId"]["videoId"]
        assert truth[("youtube", video)] == by_external[item_id]
    for post_id, post in state.published["facebook"].items():
        posted = post["attachments"]["data"][0]["unshimmed_url"]
        link = posted.split("?utm_source", 1)[0].split("&utm_source", 1)[0]
        assert urls[link] == by_external[post_id]
