"""`status`: the figures per platform and each alarm, provoked one at a time."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from config.clock import FakeClock
from config.loader import load_campaign
from config.schema import LoadedCampaign
from db import models
from db.models import Campaign, HarvestCursor, HarvestRun, Publication, QuotaUsage
from db.session import transaction
from platforms import registry
from storydesk.ops.status import build_status
from tests.helpers import invoke
from tests.sandboxed import campaign_text

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles: 4 h into the quota day
# the campaign's YouTube units today: platform, credential (its key's variable), day
TODAYS = ("youtube", "STORYDESK_YOUTUBE_API_KEY", date(2026, 11, 24))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(campaign_text("http://127.0.0.1:9", tmp_path))
    return path


@pytest.fixture
def loaded(config: Path) -> LoadedCampaign:
    return load_campaign(config)


class Rows:
    def __init__(self, sessions: sessionmaker[Session], loaded: LoadedCampaign, now: datetime):
        self.sessions, self.loaded, self.now = sessions, loaded, now
        with transaction(sessions) as s:
            s.add(Campaign(id=loaded.id, name="c", created_at=now - timedelta(days=9)))

    def run(
        self, platform: str, ago_minutes: float, new: int = 0, query: str = "q", **kw: Any
    ) -> None:
        at = self.now - timedelta(minutes=ago_minutes)
        with transaction(self.sessions) as s:
            s.add(
                HarvestRun(
                    campaign_id=self.loaded.id,
                    platform=platform,
                    query=query,
                    config_hash="h",
                    started_at=at,
                    finished_at=at + timedelta(seconds=5),
                    status=kw.pop("status", "ok"),
                    new_count=new,
                    requests=kw.pop("requests", 1),
                    **kw,
                )
            )

    def publication(self, requested_minutes_ago: float | None, state: str = "done") -> None:
        with transaction(self.sessions) as s:
            t = models.Testimony(
                campaign_id=self.loaded.id, created_at=self.now, updated_at=self.now
            )
            s.add(t)
            s.flush()
            s.add(
                Publication(
                    testimony_id=t.id,
                    target="x",
                    state=state,
                    idempotency_key=f"k{t.id}",
                    external_id="1",
                    created_at=self.now,
                    updated_at=self.now,
                    last_error="HTTP 500 from the platform" if state == "failed" else None,
                    takedown_requested_at=None
                    if requested_minutes_ago is None
                    else self.now - timedelta(minutes=requested_minutes_ago),
                    takedown_reason="consent withdrawn",
                )
            )

    def quota(self, units: int, credential: str = "STORYDESK_YOUTUBE_API_KEY") -> None:
        with transaction(self.sessions) as s:
            s.add(
                QuotaUsage(
                    platform="youtube", credential=credential, day=date(2026, 11, 24), units=units
                )
            )


@pytest.fixture
def rows(sessions: sessionmaker[Session], loaded: LoadedCampaign) -> Rows:
    return Rows(sessions, loaded, NOW)


def status(rows: Rows) -> dict[str, Any]:
    with rows.sessions() as session:
        return build_status(session, rows.loaded, FakeClock(NOW).now())


def kinds(report: dict[str, Any]) -> list[str]:
    return [a["kind"] for a in report["alarms"]]


def test_healthy_figures_per_platform(rows: Rows) -> None:
    rows.run("youtube", 30, new=4, requests=3, quota_units=102)
    rows.quota(102)
    with transaction(rows.sessions) as s:
        s.add(
            HarvestCursor(
                campaign_id=rows.loaded.id,
                platform="youtube",
                query_key="k",
                query="q",
                position={},
                updated_at=NOW - timedelta(minutes=30),
            )
        )
    report = status(rows)
    youtube = next(p for p in report["platforms"] if p["platform"] == "youtube")
    assert youtube["last_run"]["status"] == "ok" and youtube["last_run"]["new"] == 4
    assert youtube["requests_today"] == 3
    assert youtube["quota"]["left_today"] == 10000 - 102
    assert youtube["cursor_age_seconds"] == 1800
    assert report["alarms"] == []


def test_zero_harvest_alarm_after_a_time_without_new_posts_not_a_count_of_runs(
    rows: Rows,
) -> None:
    rows.run("x", 23 * 60, new=7)
    for minutes in range(15, 23 * 60, 15):  # 90 empty harvests in 23 hours: a quiet hashtag
        rows.run("x", minutes)
    assert kinds(status(rows)) == []
    rows.run("x", 25 * 60, new=7)  # the last find moves back: 25 h of nothing (default 24h)
    with transaction(rows.sessions) as s:
        s.query(HarvestRun).filter(HarvestRun.new_count > 0).update(
            {HarvestRun.started_at: NOW - timedelta(hours=25)}
        )
    report = status(rows)
    assert kinds(report) == ["zero-harvest"]
    alarm = report["alarms"][0]
    assert alarm["message"].startswith("x: no new posts for 25 hours")
    assert "hashtag" in alarm["action"]


def test_zero_harvest_needs_harvests_that_ran_fine_since(rows: Rows) -> None:
    rows.run("instagram", 30 * 60, new=5, query="#a")
    rows.run("instagram", 60, status="failed", error_kind="failed", error="HTTP 500")
    assert "zero-harvest" not in kinds(status(rows))  # failing: its own alarm, not this one
    rows.run("instagram", 30, query="#a")
    assert kinds(status(rows)) == ["zero-harvest"]
    rows.run("instagram", 10, new=1, query="#a")
    report = status(rows)
    assert kinds(report) == []
    assert (
        next(p for p in report["platforms"] if p["platform"] == "instagram")["last_run"]["new"] == 1
    )


def test_a_platform_failing_n_times_in_a_row_raises_an_alarm(rows: Rows) -> None:
    for ago in (60, 45, 30):
        rows.run("youtube", ago, status="failed", error_kind="failed", error="HTTP 500 from API")
    assert kinds(status(rows)) == ["harvest-failing"]
    assert "youtube: the last 3 harvests failed" in status(rows)["alarms"][0]["message"]
    rows.run("youtube", 10, new=1)
    assert kinds(status(rows)) == []


def test_an_unset_credential_is_an_alarm_with_what_to_do(rows: Rows) -> None:
    rows.run(
        "facebook",
        5,
        status="failed",
        error_kind="config",
        error="platforms.facebook.access_token_env: environment variable FB_TOKEN is not set",
        query="(setup)",
    )
    report = status(rows)
    assert kinds(report) == ["credential"]
    assert "FB_TOKEN is not set" in report["alarms"][0]["message"]
    assert "set the variable" in report["alarms"][0]["action"]


def test_a_job_whose_last_run_failed_is_an_alarm(rows: Rows) -> None:
    from storydesk.ops.outcomes import record_outcome

    for minutes in (30, 20):
        at = NOW - timedelta(minutes=minutes)
        record_outcome(rows.sessions, rows.loaded.id, "publish", "failed", "KeyError: 'x'", at, at)
    report = status(rows)
    assert kinds(report) == ["job-failed"]
    assert "publish: failed 2 times in a row" in report["alarms"][0]["message"]
    assert report["jobs"]["publish"]["last_outcome"]["failures_in_row"] == 2
    record_outcome(rows.sessions, rows.loaded.id, "publish", "ok", None, NOW, NOW)
    assert kinds(status(rows)) == []


def test_a_platform_that_never_found_anything_raises_no_zero_alarm(rows: Rows) -> None:
    for ago in (90, 60, 30, 10):
        rows.run("facebook", ago)
    assert kinds(status(rows)) == []


def test_credential_alarm_until_a_run_succeeds(rows: Rows) -> None:
    rows.run("x", 30, new=3)
    rows.run(
        "x",
        10,
        status="failed",
        error_kind="credential",
        error="x: the platform rejected the bearer token (HTTP 401)",
    )
    report = status(rows)
    assert kinds(report) == ["credential"]
    assert "HTTP 401" in report["alarms"][0]["message"]
    rows.run("x", 1, new=1)
    assert kinds(status(rows)) == []


def test_quota_alarm_when_todays_rate_runs_out_before_midnight_pacific(
    sessions: sessionmaker[Session], loaded: LoadedCampaign
) -> None:
    rows = Rows(sessions, loaded, NOW)
    rows.quota(1000)  # 250 units/h: 6000 by midnight, fine
    assert kinds(status(rows)) == []
    with transaction(sessions) as s:
        s.get_one(QuotaUsage, TODAYS).units = 2000  # 500/h: out at 20:00
    report = status(rows)
    assert kinds(report) == ["quota"]
    assert "runs out at 04:00 UTC" in report["alarms"][0]["message"]
    with transaction(sessions) as s:
        s.get_one(QuotaUsage, TODAYS).units = 10000
    assert "is spent" in status(rows)["alarms"][0]["message"]


def test_takedown_alarm_when_one_waits_too_long(rows: Rows) -> None:
    rows.publication(30)  # asked 30 minutes ago: the publisher still has time
    rows.publication(None, state="failed")
    report = status(rows)
    assert kinds(report) == []
    assert report["publications"]["takedowns_pending"] == 1
    assert report["publications"]["failed"][0]["error"] == "HTTP 500 from the platform"
    rows.publication(120)
    report = status(rows)
    assert kinds(report) == ["takedown"]
    assert "consent withdrawn" in report["alarms"][0]["message"]


def test_status_command_exits_1_while_an_alarm_stands(
    config: Path, sessions: sessionmaker[Session], loaded: LoadedCampaign, db_url: str
) -> None:
    now = datetime.now(UTC)
    rows = Rows(sessions, loaded, now)
    rows.run("x", 30, new=2)
    healthy = invoke("--config", str(config), "--db", db_url, "status")
    assert healthy.exit_code == 0, healthy.stdout + healthy.stderr
    assert "alarms:    none" in healthy.stdout
    assert "x          last run" in healthy.stdout
    rows.run("x", 5, status="failed", error_kind="credential", error="x: rejected (HTTP 401)")
    text = invoke("--config", str(config), "--db", db_url, "status")
    assert text.exit_code == 1
    assert "ALARM:     x: the platform rejected our credential" in text.stdout
    assert "what to do: renew the token" in text.stdout
    as_json = invoke("--config", str(config), "--db", db_url, "status", "--json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["schema"] == report["schema_head"]
    assert [a["kind"] for a in report["alarms"]] == ["credential"]
    assert {p["platform"] for p in report["platforms"]} == set(registry.names("harvest"))
