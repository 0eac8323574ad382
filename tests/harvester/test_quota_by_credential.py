"""Two campaigns on one database: Google counts YouTube units per API key and X charges reads
per app, so each campaign's harvest, compliance check, status and metrics count what was
spent on its own key (named by its variable), and share the count only when they name the
same variable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from compliance import sources
from compliance.summary import ComplianceSummary
from compliance.sweep import run_sweep
from config.clock import FakeClock
from platforms.youtube import api_key_client
from storydesk.ops.metrics import StorydeskCollector
from tests.sandboxed import Setup, load, make_setup, other_campaign, session_factory

KEY, TOKEN = "STORYDESK_YOUTUBE_API_KEY", "STORYDESK_X_BEARER_TOKEN"
# a page's videos.list and channels.list cost this campaign 9,999 of its key's 10,000 units:
# one page spends nearly all of it, and too little is left for another campaign's page (2)
COSTLY = 'costs = { "search.list" = 1, "videos.list" = 5000, "channels.list" = 4999 }'


def edit(setup: Setup, old: str, new: str) -> None:
    text = setup.config.read_text()
    assert text.count(old) == 1, old
    setup.config.write_text(text.replace(old, new))


def campaigns(tmp_path: Path, sandbox: Any, db_url: str, key: str, token: str) -> list[Setup]:
    """Campaign A on the shipped variables; B on `key` and `token` (A's own, or others)."""
    a = make_setup(tmp_path, sandbox.base_url, db_url, consent=False)
    b = other_campaign(a, tmp_path / "b")
    edit(b, f'api_key_env = "{KEY}"', f'api_key_env = "{key}"')
    edit(b, f'bearer_token_env = "{TOKEN}"', f'bearer_token_env = "{token}"')
    return [a, b]


def platform_status(setup: Setup, platform: str) -> dict[str, Any]:
    report = json.loads(setup.cli("status", "--json").stdout)
    return next(p for p in report["platforms"] if p["platform"] == platform)


def harvest(setup: Setup, platform: str) -> Any:
    return setup.cli("harvest", "--platform", platform)


@pytest.mark.parametrize("b_key", ["CAMPAIGN_B_YOUTUBE_API_KEY", KEY])
def test_a_campaign_on_its_own_key_harvests_although_another_spent_its_quota(
    tmp_path: Path, sandbox: Any, db_url: str, b_key: str
) -> None:
    a, b = campaigns(tmp_path, sandbox, db_url, b_key, TOKEN)
    edit(a, f'api_key_env = "{KEY}"', f'api_key_env = "{KEY}"\n{COSTLY}')
    spent = harvest(a, "youtube")
    assert spent.exit_code == 0, spent.stdout + spent.stderr
    assert platform_status(a, "youtube")["quota"]["used_today"] == 9999

    before = platform_status(b, "youtube")["quota"]
    outcome = harvest(b, "youtube")
    after = platform_status(b, "youtube")
    if b_key == KEY:
        # one key: Google counts both campaigns' units together, and so does the ledger
        assert before["used_today"] == 9999 and before["left_today"] == 1
        assert outcome.exit_code == 75, outcome.stdout + outcome.stderr
        assert "quota" in outcome.stdout + outcome.stderr
        assert after["last_run"]["new"] == 0
        return
    assert before["used_today"] == 0 and before["left_today"] == 10000
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert after["last_run"]["new"] > 0
    own = after["last_run"]["quota_units"]
    assert 0 < own < 10
    assert after["quota"]["used_today"] == own
    assert after["quota"]["left_today"] == 10000 - own
    assert platform_status(a, "youtube")["quota"]["used_today"] == 9999  # B's are not A's


@pytest.mark.parametrize("b_token", ["CAMPAIGN_B_X_BEARER_TOKEN", TOKEN])
def test_x_reads_this_month_are_those_of_the_campaigns_own_app(
    tmp_path: Path, sandbox: Any, db_url: str, b_token: str
) -> None:
    a, b = campaigns(tmp_path, sandbox, db_url, KEY, b_token)
    assert harvest(a, "x").exit_code == 0
    reads = platform_status(a, "x")["reads_this_month"]
    assert reads > 0
    # the same app's reads are charged to one bill; another app's bill has none of them
    assert platform_status(b, "x")["reads_this_month"] == (reads if b_token == TOKEN else 0)
    assert harvest(b, "x").exit_code == 0
    mine = platform_status(b, "x")["reads_this_month"]
    assert mine == (2 * reads if b_token == TOKEN else reads)
    assert platform_status(a, "x")["reads_this_month"] == (mine if b_token == TOKEN else reads)


@pytest.mark.parametrize("b_key", ["CAMPAIGN_B_YOUTUBE_API_KEY", KEY])
def test_the_youtube_refresh_checks_the_campaigns_own_key(
    tmp_path: Path, sandbox: Any, db_url: str, b_key: str
) -> None:
    a, b = campaigns(tmp_path, sandbox, db_url, b_key, TOKEN)
    assert harvest(a, "youtube").exit_code == 0
    assert harvest(b, "youtube").exit_code == 0
    edit(a, f'api_key_env = "{KEY}"', f'api_key_env = "{KEY}"\n{COSTLY}')
    sessions = session_factory(db_url)
    later = FakeClock(datetime.now(UTC) + timedelta(days=31))  # every video due for refresh

    def sweep(setup: Setup) -> ComplianceSummary:
        loaded = load(setup)
        client = api_key_client(loaded)
        step = ("youtube", lambda s: sources.sweep_youtube(sessions, loaded, later, s, client))
        return run_sweep(sessions, loaded, later, steps=[step])

    assert sweep(a).refreshed["youtube"] > 0  # 9,999 of A's key's units spent that day
    summary = sweep(b)
    if b_key == KEY:
        assert summary.status() == "try-later"
        assert "not enough quota" in summary.try_later[0]
        return
    assert summary.status() == "ok", summary.errors + summary.try_later
    assert summary.refreshed["youtube"] > 0


@pytest.mark.parametrize("b_key", ["CAMPAIGN_B_YOUTUBE_API_KEY", KEY])
def test_metrics_show_the_quota_used_today_on_the_campaigns_own_key(
    tmp_path: Path, sandbox: Any, db_url: str, b_key: str
) -> None:
    a, b = campaigns(tmp_path, sandbox, db_url, b_key, TOKEN)
    edit(a, f'api_key_env = "{KEY}"', f'api_key_env = "{KEY}"\n{COSTLY}')
    assert harvest(a, "youtube").exit_code == 0
    collector = StorydeskCollector(session_factory(db_url), load(b), lambda: datetime.now(UTC))
    today = next(f for f in collector.collect() if f.name == "storydesk_quota_used_today")
    assert [(s.labels, s.value) for s in today.samples] == [
        ({"platform": "youtube"}, 9999 if b_key == KEY else 0)
    ]
