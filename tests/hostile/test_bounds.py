"""A server too slow or too large: a harvest ends at the deadline or the size cap the
campaign file sets, whichever client library makes the call."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import Make, within

PLATFORMS = ["x", "youtube", "facebook"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_harvest_against_a_trickling_server_ends_within_the_deadline(
    hostile_world: Make, platform: str
) -> None:
    world = hostile_world("trickle", extra="deadline_seconds = 2", trickle_interval=0.05)
    outcome, took = within(20, lambda: world.harvest(platform))
    assert outcome.exit_code == 1, outcome.stderr
    # the deadline, plus starting and recording the run on a loaded machine; the server
    # would take over 30 s to finish its answer
    assert took < 2 + 10
    assert "no complete answer within 2 s" in outcome.stderr
    assert f"platforms.{platform}.deadline_seconds" in outcome.stderr
    assert world.stored(platform) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_300_mb_answer_is_refused_at_the_size_cap(hostile_world: Make, platform: str) -> None:
    world = hostile_world("huge_body", extra="max_response_mb = 4")
    outcome, took = within(30, lambda: world.harvest(platform))
    assert outcome.exit_code == 1, outcome.stderr
    assert f"larger than 4 MB (platforms.{platform}.max_response_mb)" in outcome.stderr
    assert world.server.bytes_sent < 100 * 1024 * 1024
    assert world.stored(platform) == []
