"""Answers that are not what the platform documents: bad items are reported and skipped,
the good ones beside them stored, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import Make, within

PLATFORMS = ["x", "youtube", "facebook"]
GOOD = {"x": "1003", "youtube": "vid00001003", "facebook": "100_1003"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_non_numeric_and_path_like_ids_are_skipped_and_named(
    hostile_world: Make, platform: str
) -> None:
    world = hostile_world("bad_ids")
    outcome, _ = within(30, lambda: world.harvest(platform))
    assert outcome.exit_code == 0, outcome.stderr
    assert [p.native_id for p in world.stored(platform)] == [GOOD[platform]]
    assert f"{platform}: ok: 1 new" in outcome.stdout + outcome.stderr
    for shown in ['"<script>alert(1)</script>"', '"../../../etc/passwd"', '"12abc"']:
        assert f"{platform}: item {shown}: the id does not have the shape" in outcome.stderr
    assert "etc/passwd" not in " ".join(p.url for p in world.stored(platform))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_javascript_and_data_urls_never_reach_the_database(
    hostile_world: Make, platform: str
) -> None:
    world = hostile_world("javascript_urls")
    outcome, _ = within(30, lambda: world.harvest(platform))
    assert outcome.exit_code == 0, outcome.stderr
    stored = world.stored(platform)
    assert stored, outcome.stderr
    urls = [u for p in stored for u in [p.url, p.media_url or "", *p.links] if u]
    assert all(u.startswith(("https://", "http://")) for u in urls)
    assert "is not an http(s) URL" in outcome.stderr
    assert "skipped" in outcome.stderr


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unreadable_item_is_named_and_skipped_and_never_blocks_the_next_run(
    hostile_world: Make, platform: str
) -> None:
    world = hostile_world("garbled_item")
    for _ in range(2):
        outcome, _ = within(30, lambda: world.harvest(platform))
        assert outcome.exit_code == 0, outcome.stderr
        assert "unreadable" in outcome.stderr and "skipped" in outcome.stderr
        good = {**GOOD, "youtube": "vid00001002"}[platform]
        assert good in [p.native_id for p in world.stored(platform)]


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_over_long_values_and_nul_give_the_same_rows_on_both_engines(
    hostile_world: Make, platform: str, db_url: str
) -> None:
    world = hostile_world("long_values", db_url=db_url)
    outcome, _ = within(60, lambda: world.harvest(platform))
    assert outcome.exit_code == 0, outcome.stderr
    stored = sorted(world.stored(platform), key=lambda p: p.native_id)
    assert [p.native_id for p in stored] == sorted(
        [GOOD[platform], "1001" if platform == "x" else "100_1001"]
    )
    assert all("\x00" not in p.text for p in stored)
    assert stored[0].text.startswith("My testimony")
    assert "skipped" in outcome.stderr
    # the next run is not blocked by the bad item
    again, _ = within(60, lambda: world.harvest(platform))
    assert again.exit_code == 0, again.stderr
