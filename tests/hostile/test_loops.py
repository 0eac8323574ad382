"""Servers that never stop paging: every harvest ends, in a few requests, and says why."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import Make, within

PLATFORMS = ["x", "youtube", "facebook"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("mode", ["repeated_cursor", "growing_loop"])
def test_a_looping_server_ends_the_run_as_failed_naming_platform_cursor_and_run(
    hostile_world: Make, platform: str, mode: str
) -> None:
    world = hostile_world(mode)
    outcome, _ = within(30, lambda: world.harvest(platform))
    assert outcome.exit_code == 1, outcome.stderr
    assert world.server.requests <= 6  # two pages (YouTube: search + videos each), no more
    run = world.runs()[-1]
    assert run.status == "failed"
    assert run.error is not None
    assert run.error.startswith(f"{platform}: run {run.id}: the server answered with ")
    assert "cursor" in run.error
    assert f"{platform}: failed" in outcome.stderr and f"run {run.id}" in outcome.stderr
    # the first page was stored once; the repeats were not
    assert sorted(p.native_id for p in world.stored(platform)) == sorted(
        {p.native_id for p in world.stored(platform)}
    )
    assert len(world.stored(platform)) == 2


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_server_with_endless_new_pages_is_read_page_by_page_up_to_the_limit(
    hostile_world: Make, platform: str
) -> None:
    world = hostile_world("endless", extra="max_pages_per_run = 4")
    outcome, _ = within(30, lambda: world.harvest(platform))
    assert outcome.exit_code == 75, outcome.stderr
    assert "stopped after 4 pages (max_pages_per_run)" in outcome.stderr
    assert len(world.stored(platform)) == 8
    if platform == "x":  # X fetches the next page while storing one, never past the limit
        assert world.server.requests == 4
    run = world.runs()[-1]
    assert run.status == "try-later"
