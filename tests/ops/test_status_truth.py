"""`status` tells the truth: break one thing at a time and read its exit code and alarm.

Each test does what an operator would meet: an unset credential, a job that crashes every
cycle, an uninitialised or newer database, a PostgreSQL server that is down, a database file
this user may only read. The exit codes are the README's: 0 healthy, 1 an alarm stands,
78 not configured or initialised, 75 the database cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from config.clock import FakeClock
from db.session import make_engine
from tests.helpers import invoke
from tests.sandboxed import REPO, Setup, campaign_text, load, make_setup, session_factory


def _status(setup: Setup) -> tuple[int, str, dict[str, Any]]:
    shown = setup.cli("status")
    as_json = setup.cli("status", "--json")
    assert shown.exit_code == as_json.exit_code, shown.stderr
    return shown.exit_code, shown.stdout, json.loads(as_json.stdout)


@pytest.fixture
def offline(tmp_path: Path, sqlite_url: str) -> Setup:
    """A campaign on a sandbox address nobody serves, without the dummy credentials."""
    config = tmp_path / "campaign.toml"
    config.write_text(
        campaign_text("http://127.0.0.1:9", tmp_path).replace(
            "dummy_on_loopback = true", "dummy_on_loopback = false"
        )
    )
    setup = Setup(tmp_path, config, sqlite_url, "http://127.0.0.1:9")
    assert setup.cli("init").exit_code == 0
    return setup


def test_an_unset_credential_exits_78_from_harvest_and_status_names_it(
    offline: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STORYDESK_FACEBOOK_PAGE_TOKEN", raising=False)
    harvest = offline.cli("harvest", "--platform", "facebook")
    assert harvest.exit_code == 78, harvest.stderr
    assert "STORYDESK_FACEBOOK_PAGE_TOKEN is not set" in harvest.stderr
    code, shown, report = _status(offline)
    assert code == 1
    assert [a["kind"] for a in report["alarms"]] == ["credential"]
    assert "ALARM:     facebook: could not harvest" in shown
    assert "STORYDESK_FACEBOOK_PAGE_TOKEN is not set" in shown
    assert "what to do: set the variable it names in the environment" in shown


def test_an_unset_credential_exits_78_from_run_once(
    offline: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("STORYDESK_") and name not in offline.env:
            monkeypatch.delenv(name)
    outcome = offline.cli("run-once")
    assert outcome.exit_code == 78, outcome.stdout + outcome.stderr
    assert "is not set" in outcome.stdout


def test_a_job_that_crashes_every_cycle_is_an_alarm(offline: Setup) -> None:
    from storydesk.ops.jobs import Actions, Job, Outcome, Runner
    from storydesk.ops.logs import EventLog

    def crash() -> Outcome:
        raise KeyError("quote")

    actions = Actions(
        harvest=lambda _p, _r: Outcome("harvest", "ok"),
        match=lambda: Outcome("match", "ok"),
        publish=crash,
        compliance=lambda: Outcome("compliance", "ok"),
    )
    clock = FakeClock()
    runner = Runner(
        session_factory(offline.db_url), load(offline), clock, actions, EventLog(clock=clock)
    )
    publish = Job("publish", "publish", clock.now() - clock.now() + _minutes(10))
    for _ in range(3):
        runner.run(publish)
        clock.advance(_minutes(10).total_seconds())
    code, shown, report = _status(offline)
    assert code == 1
    assert "job-failed" in [a["kind"] for a in report["alarms"]]
    assert "ALARM:     publish: failed 3 times in a row" in shown
    assert "KeyError: 'quote'" in shown
    assert "what to do:" in shown


def _minutes(n: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=n)


def test_a_missing_database_file_is_never_created_by_a_read_command(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    for args in (["status"], ["queue"], ["show", "1"], ["export"], ["consent", "list"],
                 ["consent", "show", "R1"]):  # fmt: skip
        command = " ".join(args)
        outcome = invoke("--db", f"sqlite:///{path}", *args)
        assert outcome.exit_code == 78, (command, outcome.stderr)
        assert f"{path} does not exist" in outcome.stderr
        assert "Traceback" not in outcome.stderr
    harvest = invoke("--db", f"sqlite:///{path}", "match")
    assert harvest.exit_code == 78
    assert not path.exists()
    assert invoke("--db", f"sqlite:///{path}", "init").exit_code == 0
    assert path.exists()


def test_an_uninitialised_database_exits_78_and_says_to_run_init(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    outcome = invoke("--db", f"sqlite:///{path}", "status")
    assert outcome.exit_code == 78
    assert "is not initialised: run `storydesk init` first" in outcome.stdout
    report = json.loads(invoke("--db", f"sqlite:///{path}", "status", "--json").stdout)
    assert report["schema_state"] == "empty"
    assert [a["kind"] for a in report["alarms"]] == ["schema"]


def test_status_without_a_campaign_exits_78(sqlite_url: str) -> None:
    outcome = invoke("--db", sqlite_url, "status")
    assert outcome.exit_code == 78
    assert "no campaign file" in outcome.stdout
    assert "what to do: pass --config FILE" in outcome.stdout


def test_a_newer_database_says_so_and_init_does_not_touch_it(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    status = invoke("--db", sqlite_url, "status")
    assert status.exit_code == 78
    assert "newer than this storydesk" in status.stdout
    assert "run `storydesk init`" not in status.stdout
    for args in (("init",), ("queue",)):
        outcome = invoke("--db", sqlite_url, *args)
        assert outcome.exit_code == 78, outcome.stderr
        assert "at schema 0099, which is newer than this storydesk" in outcome.stderr
        assert "Can't locate revision" not in outcome.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_postgresql_exits_75_naming_the_host(tmp_path: Path) -> None:
    port = _free_port()
    url = f"postgresql://storydesk:secret@127.0.0.1:{port}/campaign"
    config = tmp_path / "c.toml"
    config.write_text(campaign_text("http://127.0.0.1:9", tmp_path))
    for args in (("status",), ("queue",), ("init",), ("harvest",), ("run-once",)):
        outcome = invoke("--config", str(config), "--db", url, *args)
        assert outcome.exit_code == 75, (args, outcome.stderr)
        assert f"PostgreSQL at 127.0.0.1:{port} (database campaign) cannot be reached" in (
            outcome.stderr
        )
        assert "secret" not in outcome.stderr
        assert outcome.stderr.count("\n") == 1


def _as_reader() -> list[str]:
    """A prefix that runs a command as a user who may read the database but not write it.
    Root ignores file modes: as root, drop the capabilities that let it (the 0400 file in
    a 0555 folder is then read-only to it, as to anyone else)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file read-only to root")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--inh-caps=-all"]


# slow: six real processes run as another user (root reads any file)
@pytest.mark.slow
def test_read_commands_work_on_a_read_only_database_file(
    ready_sqlite_copy: tuple[Path, Path],
) -> None:
    db, config = ready_sqlite_copy
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYDESK_")}
    env.update(
        STORYDESK_DB=f"sqlite:///{db}",
        STORYDESK_CONFIG=str(config),
        PYTHONPATH=str(REPO),
        HOME=str(db.parent),
    )
    before = db.read_bytes()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_as_reader(), sys.executable, "-m", "storydesk.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=db.parent,
        )

    status = run("status")
    assert status.returncode in (0, 1), status.stderr  # healthy or an alarm: it read it
    assert "database:" in status.stdout
    queue = run("queue", "--status", "all", "--json")
    assert queue.returncode == 0, queue.stderr
    assert len(json.loads(queue.stdout)) > 0
    shown = run("show", str(json.loads(queue.stdout)[0]["id"]))
    assert shown.returncode == 0, shown.stderr
    forms = run("consent", "list", "--json")
    assert forms.returncode == 0, forms.stderr
    form = json.loads(forms.stdout)[0]["response_id"]
    one = run("consent", "show", form, "--json")
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["response_id"] == form
    writing = run("match")
    assert writing.returncode == 78, writing.stderr
    assert "read-only" in writing.stderr
    assert db.read_bytes() == before


@pytest.fixture
def ready_sqlite_copy(tmp_path: Path, sandbox: Any) -> Any:
    setup = make_setup(tmp_path, sandbox.base_url, f"sqlite:///{tmp_path / 'storydesk.db'}")
    assert setup.cli("harvest").exit_code == 0
    folder = Path(tempfile.mkdtemp(prefix="storydesk-ro-"))
    os.chmod(folder, 0o755)
    db = folder / "storydesk.db"
    db.write_bytes((tmp_path / "storydesk.db").read_bytes())
    config = folder / "campaign.toml"
    config.write_text(setup.config.read_text())
    os.chmod(config, 0o644)
    os.chmod(db, 0o400)
    os.chmod(folder, 0o555)
    try:
        yield db, config
    finally:
        os.chmod(folder, 0o755)
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def test_runs_left_running_by_a_killed_process_are_marked_interrupted_at_the_next_start(
    offline: Setup,
) -> None:
    from datetime import timedelta

    from db.models import Campaign, HarvestRun
    from db.session import transaction
    from storydesk.ops.jobs import Actions, Job, Outcome, Runner
    from storydesk.ops.logs import EventLog

    clock = FakeClock()
    sessions = session_factory(offline.db_url)
    loaded = load(offline)
    with transaction(sessions) as s:
        s.add(Campaign(id=loaded.id, name="c", created_at=clock.now()))
        s.add(
            HarvestRun(
                campaign_id=loaded.id,
                platform="x",
                query="q",
                config_hash="h",
                host="gone-host",
                started_at=clock.now() - timedelta(hours=2),
                status="running",
            )
        )
    actions = Actions(
        harvest=lambda _p, _r: Outcome("harvest:x", "ok"),
        match=lambda: Outcome("match", "ok"),
        publish=lambda: Outcome("publish", "ok"),
        compliance=lambda: Outcome("compliance", "ok"),
    )
    runner = Runner(sessions, loaded, clock, actions, EventLog(clock=clock))
    runner.run(Job("harvest:x", "harvest", timedelta(minutes=15), "x"))
    with sessions() as s:
        run = s.query(HarvestRun).one()
        assert run.status == "interrupted"
        assert "killed?" in (run.error or "")
    report = json.loads(offline.cli("status", "--json").stdout)
    x = next(p for p in report["platforms"] if p["platform"] == "x")
    assert x["last_run"]["status"] == "interrupted"


def test_a_job_meeting_a_database_outage_is_try_later_naming_the_database(
    offline: Setup,
) -> None:
    from sqlalchemy.exc import OperationalError

    from storydesk.ops.jobs import Actions, Job, Outcome, Runner
    from storydesk.ops.logs import EventLog

    def outage() -> Outcome:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    clock = FakeClock()
    actions = Actions(
        harvest=lambda _p, _r: Outcome("harvest", "ok"),
        match=lambda: Outcome("match", "ok"),
        publish=outage,
        compliance=lambda: Outcome("compliance", "ok"),
    )
    runner = Runner(
        session_factory(offline.db_url), load(offline), clock, actions, EventLog(clock=clock)
    )
    [outcome] = runner.run(Job("publish", "publish", _minutes(10)))
    assert outcome.status == "try-later"
    assert outcome.error is not None and "SQLite file" in outcome.error
