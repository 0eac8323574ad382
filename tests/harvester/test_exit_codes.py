"""`storydesk harvest` exit codes: 0; 1 when a platform failed (the others still ran); 75 when
every failure was "try later". One summary line per platform, whatever happened."""

from __future__ import annotations

from tests.harvester.support import edit_platforms
from tests.sandboxed import Setup

PLATFORMS = ("x", "youtube", "instagram", "facebook")


def summary_lines(out: str, err: str) -> dict[str, list[str]]:
    lines = (out + err).splitlines()
    return {p: [line for line in lines if line.startswith(f"{p}: ")] for p in PLATFORMS}


def test_all_ok_exits_0_with_one_line_per_platform(ready: Setup) -> None:
    outcome = ready.cli("harvest")
    assert outcome.exit_code == 0, outcome.stderr
    lines = summary_lines(outcome.stdout, outcome.stderr)
    assert all(len(lines[p]) == 1 and ": ok: " in lines[p][0] for p in PLATFORMS), lines


def test_a_failed_platform_exits_1_and_the_others_still_run(ready: Setup) -> None:
    edit_platforms(ready.config, x={"max_retries": "0"})  # fail at once, no back-off to wait
    ready.control("faults", {"platform": "x", "kind": "500", "count": 1})
    ready.control("faults", {"platform": "youtube", "kind": "quota", "count": 1})
    outcome = ready.cli("harvest")
    assert outcome.exit_code == 1, outcome.stdout + outcome.stderr
    lines = summary_lines(outcome.stdout, outcome.stderr)
    assert all(len(lines[p]) == 1 for p in PLATFORMS), lines
    assert lines["x"][0].startswith("x: failed:") and "HTTP 500" in lines["x"][0]
    assert lines["youtube"][0].startswith("youtube: try-later:")
    for other in ("instagram", "facebook"):
        assert lines[other][0].startswith(f"{other}: ok:") and " 0 new" not in lines[other][0]


def test_only_try_later_failures_exit_75_saying_when(ready: Setup) -> None:
    ready.control("faults", {"platform": "x", "kind": "429", "count": 1})
    ready.control("faults", {"platform": "youtube", "kind": "quota", "count": 1})
    outcome = ready.cli("harvest")
    assert outcome.exit_code == 75, outcome.stdout + outcome.stderr
    lines = summary_lines(outcome.stdout, outcome.stderr)
    assert all(len(lines[p]) == 1 for p in PLATFORMS), lines
    assert lines["x"][0].startswith("x: try-later:") and "try again after" in lines["x"][0]
    assert "youtube: try-later:" in lines["youtube"][0] and "try again after" in lines["youtube"][0]
    assert lines["facebook"][0].startswith("facebook: ok:")
    # and the next run, with the platforms willing again, picks everything up
    again = ready.cli("harvest")
    assert again.exit_code == 0, again.stderr


def test_a_youtube_rate_limit_is_try_later_at_once_not_minutes_of_sleep_then_failed(
    ready: Setup, no_clock_waits: list[float]
) -> None:
    # before: each 429 (Retry-After: 60) was slept out in the run, 4 tries, 3 minutes, then
    # "youtube: failed: ... still failing after 4 tries: HTTP 429" and exit 1 (an alarm)
    ready.control("faults", {"platform": "youtube", "kind": "429", "count": 10})
    outcome = ready.cli("harvest", "--platform", "youtube")
    assert outcome.exit_code == 75, outcome.stdout + outcome.stderr
    line = summary_lines(outcome.stdout, outcome.stderr)["youtube"]
    assert len(line) == 1 and line[0].startswith("youtube: try-later:"), line
    assert "rate limited (HTTP 429)" in line[0] and "try again after" in line[0]
    assert no_clock_waits == []
    assert ready.stats()["requests"]["youtube"] == {"GET /youtube/v3/search": 1}


def test_a_harvest_of_a_platform_another_process_is_harvesting_waits_its_turn(
    ready: Setup,
) -> None:
    # before: `harvest --platform x` while a daemon (or another `harvest`) was harvesting x
    # ran beside it, the same pages fetched twice, and a live run was marked "interrupted"
    from datetime import UTC, datetime, timedelta

    from db.models import HarvestRun
    from storydesk.ops import locks
    from tests.sandboxed import session_factory

    sessions = session_factory(ready.db_url)
    now = datetime.now(UTC)
    assert ready.cli("harvest", "--platform", "youtube").exit_code == 0  # the campaign row
    with sessions.begin() as session:
        live = HarvestRun(
            campaign_id="learning-never-stops", platform="x", query="q", config_hash="h",
            host="otherhost", started_at=now - timedelta(minutes=1), status="running",
        )  # fmt: skip
        session.add(live)
    assert locks.claim_lease(
        sessions, "learning-never-stops:harvest:x", "otherhost:4242", now, timedelta(minutes=30)
    )
    before = ready.stats()["requests"].get("x", {})
    outcome = ready.cli("harvest", "--platform", "x")
    assert outcome.exit_code == 75, outcome.stdout + outcome.stderr
    line = summary_lines(outcome.stdout, outcome.stderr)["x"]
    assert len(line) == 1 and line[0].startswith("x: try-later:"), line
    assert "already being harvested by otherhost:4242" in line[0]
    assert ready.stats()["requests"].get("x", {}) == before
    with sessions() as session:
        assert session.get(HarvestRun, live.id).status == "running"
    sessions.kw["bind"].dispose()
    # once it is let go, the next harvest runs
    locks.release_lease(sessions, "learning-never-stops:harvest:x", "otherhost:4242", now)
    assert ready.cli("harvest", "--platform", "x").exit_code == 0
