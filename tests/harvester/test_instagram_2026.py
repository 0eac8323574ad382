"""Instagram as it is in 2026: the Graph API's hashtag search is the default collector (30
unique hashtags a week per account, hashtag ids kept once found); instaloader is opt-in,
paced by instaloader's own rate controller, its 429s retried by the one retrier; the
compliance sweep looks posts up by id and never walks a hashtag."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from config.clock import FakeClock
from config.errors import ExitCode
from platforms.instagram import InstagramHarvest, _rate_controller
from storydesk.context import AppContext
from storydesk.workflows import harvest_and_match, print_harvest
from tests.harvester.support import IG_GRAPHQL, diff, edit_platforms, requests_made
from tests.helpers import invoke
from tests.sandboxed import SHIPPED, Setup, make_setup

GRAPH_SEARCH = "graph GET /v25.0/ig_hashtag_search"


def graph_setup(tmp_path: Path, sandbox: Any, db_url: str) -> Setup:
    setup = make_setup(tmp_path, sandbox.base_url, db_url)
    setup.config.write_text(
        setup.config.read_text().replace('collector = "instaloader"', 'collector = "graph"')
    )
    return setup


def test_the_graph_api_is_the_default_collector_and_instaloader_is_opt_in() -> None:
    assert InstagramHarvest().collector == "graph"
    real = (SHIPPED.parent / "learning-never-stops.toml").read_text()
    assert 'collector = "graph"' in real and '\ncollector = "instaloader"' not in real


def test_graph_harvest_keeps_hashtag_ids_so_a_second_run_searches_nothing(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = graph_setup(tmp_path, sandbox, db_url)
    before = requests_made(setup)
    first = setup.cli("harvest", "--platform", "instagram")
    assert first.exit_code == 0, first.stdout + first.stderr
    made = diff(before, requests_made(setup))
    assert made.get(GRAPH_SEARCH) == 3  # one per campaign hashtag
    again_before = requests_made(setup)
    again = setup.cli("harvest", "--platform", "instagram")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert GRAPH_SEARCH not in diff(again_before, requests_made(setup))


def test_the_sandbox_refuses_a_31st_unique_hashtag_within_7_days(sandbox: Any) -> None:
    import requests

    from sandbox.constants import IG_USER_ID

    url = f"{sandbox.base_url}/v25.0/ig_hashtag_search"
    auth = {"Authorization": "Bearer t"}
    for i in range(30):
        ok = requests.get(url, params={"user_id": IG_USER_ID, "q": f"tag{i}"}, headers=auth)
        assert ok.status_code == 200
    again = requests.get(url, params={"user_id": IG_USER_ID, "q": "tag0"}, headers=auth)
    assert again.status_code == 200  # the same hashtag again does not count
    refused = requests.get(url, params={"user_id": IG_USER_ID, "q": "tag30"}, headers=auth)
    assert refused.status_code == 400 and "30 unique hashtags" in refused.json()["error"]["message"]
    sandbox.state.offset += timedelta(days=7, seconds=1)
    later = requests.get(url, params={"user_id": IG_USER_ID, "q": "tag30"}, headers=auth)
    assert later.status_code == 200  # a week on, the first queries no longer count


def test_more_than_30_hashtags_with_the_graph_collector_is_said_before_anything_is_sent(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = graph_setup(tmp_path, sandbox, db_url)
    many = ", ".join(f'"Tag{i}"' for i in range(31))
    text = setup.config.read_text()
    start = text.index("hashtags = [")
    end = text.index("]", start) + 1
    setup.config.write_text(text[:start] + f"hashtags = [{many}]" + text[end:])
    checked = invoke("check-config", str(setup.config))
    assert "campaign.hashtags: 31 hashtags" in checked.stderr and "30" in checked.stderr
    before = requests_made(setup)
    harvested = setup.cli("harvest", "--platform", "instagram")
    assert harvested.exit_code == ExitCode.BAD_CONFIG
    assert "campaign.hashtags: 31 hashtags" in harvested.stdout + harvested.stderr
    assert GRAPH_SEARCH not in diff(before, requests_made(setup))


class _Context:
    def log(self, *args: Any, **kwargs: Any) -> None:
        pass

    def error(self, *args: Any, **kwargs: Any) -> None:
        pass


def test_instaloader_is_paced_to_its_own_rate_controllers_budget() -> None:
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    paced = _rate_controller(_Context(), clock)
    # instaloader 4.16: 200 queries of a kind per 11 minutes
    for _ in range(200):
        paced.wait_before_query("hashtag")
    assert clock.slept == []
    paced.wait_before_query("hashtag")
    assert clock.slept and clock.slept[-1] >= 660
    # and 275 GraphQL queries of every kind together per 10 minutes
    clock2 = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    mixed = _rate_controller(_Context(), clock2)
    for i in range(275):
        mixed.wait_before_query(f"kind{i % 3}")
    assert clock2.slept == []
    mixed.wait_before_query("kind0")
    assert clock2.slept and clock2.slept[-1] >= 599


def test_a_429_that_lasts_is_try_later_after_the_one_retriers_tries(
    ready: Setup, sandbox: Any
) -> None:
    edit_platforms(ready.config, instagram={"max_retries": "2"})
    ready.control("faults", {"platform": "instagram", "kind": "429", "count": 50})
    clock = FakeClock(datetime.now(UTC))
    before = requests_made(ready)
    app = AppContext(config_path=str(ready.config), db_url=ready.db_url, clock=clock)
    try:
        run = harvest_and_match(app, app.campaign(), ["instagram"])
        code = print_harvest(run)
    finally:
        app.dispose()
    assert code == ExitCode.TRY_LATER
    # three tries (max_retries 2), each after a wait of a minute at least: no other loop
    assert diff(before, requests_made(ready)).get(IG_GRAPHQL) == 3
    assert [s for s in clock.slept if s >= 60] and len(clock.slept) == 2


def test_the_compliance_sweep_looks_posts_up_by_id_and_never_walks_a_hashtag(
    ready: Setup, sandbox: Any
) -> None:
    assert ready.cli("harvest", "--platform", "instagram").exit_code == 0
    stored = [p for p in sandbox.state.world.posts if p.platform == "instagram"]
    gone = next(p for p in stored if "#learningneverstops" in p.text.lower())
    ready.control("delete", {"platform": "instagram", "native_id": gone.native_id})
    before = requests_made(ready)
    outcome = ready.cli("compliance", "--json")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    made = diff(before, requests_made(ready))
    assert IG_GRAPHQL not in made  # no hashtag query at all
    assert made.get("instagram POST /graphql/query", 0) >= 1
    assert json.loads(outcome.stdout)["gone_by_platform"] == {"instagram": {"deleted": 1}}


def test_check_config_notes_a_graph_collector_run_less_often_than_daily(tmp_path: Path) -> None:
    text = (SHIPPED.parent / "learning-never-stops.toml").read_text()
    slow = tmp_path / "slow.toml"
    slow.write_text(
        text.replace("[platforms.instagram]\n", '[platforms.instagram]\nevery = "2d"\n', 1).replace(
            'every = "2h"\ncollector = "graph"', 'collector = "graph"'
        )
    )
    outcome = invoke("check-config", str(slow))
    assert "platforms.instagram.every: the Graph API's recent_media shows only the last 24" in (
        outcome.stderr
    ), outcome.stdout + outcome.stderr
