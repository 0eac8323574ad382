"""X as it is in 2026, as the sandbox twins it: long posts, escaped text, edits, the 7-day
cursor, withheld posts, animated GIFs and spent pay-per-use credits. Each test fails against
a harvester that trusts `text`, keys a post on its latest id or takes a 402 for a bad token."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from db.models import HarvestRun, Post
from tests.sandboxed import Setup, session_factory


def harvest_x(setup: Setup) -> Any:
    return setup.cli("harvest", "--platform", "x")


def stored_x(db_url: str) -> dict[str, Post]:
    sessions = session_factory(db_url)
    with sessions() as session:
        rows = session.scalars(select(Post).where(Post.platform == "x")).all()
        session.expunge_all()
    sessions.kw["bind"].dispose()
    return {row.native_id: row for row in rows}


def world_x(sandbox: Any) -> list[Any]:
    return [
        p
        for p in sandbox.state.world.posts
        if p.platform == "x" and p.state == "available" and "#" in p.text
    ]


def test_a_long_post_is_stored_whole_with_the_hashtags_and_mention_at_its_end(
    ready: Setup, sandbox: Any
) -> None:
    outcome = harvest_x(ready)
    assert outcome.exit_code == 0, outcome.stderr
    long = [p for p in world_x(sandbox) if len(p.text) > 280]
    assert long, "the sandbox world has long posts"
    stored = stored_x(ready.db_url)
    for post in long:
        row = stored[post.native_id]
        assert row.text == post.text
        assert "UNESCO" in row.mentions and row.hashtags
        assert "no campaign hashtag" not in row.problems
        assert not any(p.startswith("no @") for p in row.problems)


def test_escaped_characters_are_stored_as_the_person_typed_them(ready: Setup, sandbox: Any) -> None:
    assert harvest_x(ready).exit_code == 0
    typed = [p for p in world_x(sandbox) if "&" in p.text]
    assert typed, "the sandbox world has posts with & < >"
    stored = stored_x(ready.db_url)
    for post in typed:
        assert stored[post.native_id].text == post.text
        assert "&amp;" not in stored[post.native_id].text


def test_an_edit_updates_the_stored_post_instead_of_making_a_second_testimony(
    ready: Setup, sandbox: Any
) -> None:
    assert harvest_x(ready).exit_code == 0
    stored = stored_x(ready.db_url)
    # edited before the first harvest: known by its original id, with the latest words
    edited = [p for p in world_x(sandbox) if p.edits]
    assert edited
    for post in edited:
        assert stored[post.native_id].text == post.text
        assert post.latest_id not in stored

    target = next(p for p in world_x(sandbox) if not p.edits and len(p.text) < 200)
    before = stored[target.native_id]
    new_text = target.text.replace(" #", " (now with subtitles) #", 1)
    answer = ready.control("edit", {"native_id": target.native_id, "text": new_text})
    assert answer["edit_history_tweet_ids"][0] == target.native_id

    assert harvest_x(ready).exit_code == 0
    after = stored_x(ready.db_url)
    assert set(after) == set(stored)  # no second post for the edit
    row = after[target.native_id]
    assert row.text == new_text
    assert row.testimony_id == before.testimony_id
    assert [h["text"] for h in row.edit_history] == [before.text]


def test_a_cursor_older_than_the_7_days_of_recent_search_restarts_instead_of_failing(
    ready: Setup, sandbox: Any
) -> None:
    assert harvest_x(ready).exit_code == 0
    first = stored_x(ready.db_url)
    ready.control("clock", {"advance": 8 * 86400})  # the campaign paused for more than a week
    added = ready.control("posts", {"count": 3, "platform": "x"})["added"]

    for _ in range(2):  # and it keeps working on the runs after, not once by luck
        outcome = harvest_x(ready)
        assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    stored = stored_x(ready.db_url)
    assert {a["native_id"] for a in added} <= set(stored)
    assert set(first) <= set(stored)
    with session_factory(ready.db_url)() as session:
        statuses = session.scalars(
            select(HarvestRun.status).where(HarvestRun.platform == "x")
        ).all()
    assert set(statuses) == {"ok"}


def test_a_withheld_post_is_kept_but_marked_not_to_be_reshared(ready: Setup, sandbox: Any) -> None:
    post = world_x(sandbox)[3]
    ready.control("withhold", {"native_id": post.native_id, "countries": ["DE", "FR"]})
    assert harvest_x(ready).exit_code == 0
    assert "withheld in DE, FR" in stored_x(ready.db_url)[post.native_id].problems


@pytest.mark.world(posts=60)
def test_an_animated_gif_is_not_a_video(ready: Setup, sandbox: Any) -> None:
    assert harvest_x(ready).exit_code == 0
    gifs = [p for p in world_x(sandbox) if p.media_kind == "animated_gif"]
    assert gifs
    stored = stored_x(ready.db_url)
    for post in gifs:
        row = stored[post.native_id]
        assert row.media_type == "animated_gif" and row.duration_seconds is None
        assert "not a video" in row.problems


def test_spent_pay_per_use_credits_are_try_later_not_a_rejected_token(
    ready: Setup, sandbox: Any
) -> None:
    ready.control("x-account", {"credits": 0})
    outcome = harvest_x(ready)
    assert outcome.exit_code == 75, outcome.stdout + outcome.stderr
    said = outcome.stdout + outcome.stderr
    assert "402" in said and "top up" in said
    assert "token" not in said

    ready.control("x-account", {"credits": None})  # topped up: the next run goes on
    assert harvest_x(ready).exit_code == 0
    assert stored_x(ready.db_url)
