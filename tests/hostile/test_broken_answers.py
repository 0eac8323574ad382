"""Answers no platform documents (an HTML page with 200, nothing at all, an image, a
redirect to itself, a body that never ends or never finishes, credentials echoed back):
each harvest ends within its bounds, stores nothing, says what happened, and no credential
reaches stderr, the database or `status`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import AuditEntry, HarvestRun
from tests.hostile.conftest import API_KEY, PAGE_TOKEN, TOKEN, Make, within
from tests.sandboxed import session_factory

PLATFORMS = ["x", "youtube", "facebook"]
SECRETS = (TOKEN, API_KEY, PAGE_TOKEN)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("mode", ["html_200", "empty", "wrong_type", "redirect_loop"])
def test_an_answer_that_is_not_the_api_fails_the_run_and_stores_nothing(
    hostile_world: Make, platform: str, mode: str
) -> None:
    world = hostile_world(mode, retries=1)
    outcome, _ = within(30, lambda: world.harvest(platform))
    assert outcome.exit_code in (1, 75), outcome.stderr
    assert world.stored(platform) == []
    run = world.runs()[-1]
    assert run.status in ("failed", "try-later") and run.error
    assert f"{platform}: " in outcome.stderr
    assert "Traceback" not in outcome.stderr and "unexpected error" not in outcome.stderr
    assert world.server.requests <= 2 * 31  # bounded: a few tries, a few redirects each


@pytest.mark.parametrize("platform", PLATFORMS)
def test_echoed_credentials_never_leave_the_process(hostile_world: Make, platform: str) -> None:
    world = hostile_world("echo_credentials")
    outcome, _ = within(30, lambda: world.harvest(platform))
    assert outcome.exit_code != 0
    status = world.cli("status", "--json")
    texts = [outcome.stdout, outcome.stderr, status.stdout, status.stderr]
    sessions = session_factory(world.db_url)
    with sessions() as session:
        texts += [r.error or "" for r in session.scalars(select(HarvestRun))]
        texts += [json.dumps(a.detail) for a in session.scalars(select(AuditEntry))]
    sessions.kw["bind"].dispose()
    # the server did get a credential, and did echo it
    assert any(secret in seen for secret in SECRETS for seen in world.server.seen)
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, text
