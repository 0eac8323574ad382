"""The schema is made only by alembic, up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from db import migrate
from db.models import Base
from db.session import make_engine
from tests.conftest import new_pg_database
from tests.helpers import invoke
from tests.pgserver import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return new_pg_database(server, template=None)


def test_init_twice_leaves_the_schema_at_head(empty_url: str) -> None:
    first = invoke("--db", empty_url, "init")
    assert first.exit_code == 0, first.stderr
    assert f"to {migrate.head_revision()}" in first.stdout
    second = invoke("--db", empty_url, "init")
    assert second.exit_code == 0
    assert "up to date" in second.stdout
    engine = make_engine(empty_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_every_migration_upgrades_and_downgrades(empty_url: str) -> None:
    engine = make_engine(empty_url)
    revisions = migrate.all_revisions()
    for revision in revisions:
        migrate.upgrade(engine, revision)
        assert migrate.current_revision(engine) == revision
    for previous in [*reversed(revisions[:-1]), "base"]:
        migrate.downgrade(engine, "-1")
        assert migrate.current_revision(engine) == (None if previous == "base" else previous)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    engine.dispose()


def test_the_models_and_the_migrations_agree(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], "models changed without a migration: " + repr(diff[:3])


def test_the_audit_log_refuses_edits_and_deletes(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, action, subject_type, subject_id, detail) "
                "VALUES (CURRENT_TIMESTAMP, 'ana', 'approve', 'testimony', '1', '{}')"
            )
        )
    for statement in ("UPDATE audit_log SET actor = 'eve'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_log")).scalar_one() == "ana"
    engine.dispose()


def test_the_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    old_umask = os.umask(0o022)
    try:
        assert invoke("--db", f"sqlite:///{path}", "init").exit_code == 0
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    engine.dispose()


def test_commands_on_an_uninitialised_database_say_to_run_init(tmp_path: Path) -> None:
    (tmp_path / "new.db").touch()
    outcome = invoke("--db", f"sqlite:///{tmp_path / 'new.db'}", "status")
    assert outcome.exit_code == 78
    assert "run `storydesk init`" in outcome.stdout


def test_a_bad_database_url_is_one_line(tmp_path: Path) -> None:
    outcome = invoke("--db", "nosuchscheme:/x", "init")
    assert outcome.exit_code == 78
    assert outcome.stderr.count("\n") == 1
    assert "Traceback" not in outcome.stderr


def test_0008_keeps_the_ledger_and_counts_its_rows_for_every_credential(empty_url: str) -> None:
    from datetime import UTC, date, datetime

    from db import quota
    from db.session import make_session_factory

    engine = make_engine(empty_url)
    migrate.upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO quota_usage (platform, day, units) VALUES (:p, :d, :u)"),
            [
                {"p": "youtube", "d": date(2026, 11, 24), "u": 9990},
                {"p": "youtube", "d": date(2026, 11, 23), "u": 400},
                {"p": "x:reads", "d": date(2026, 11, 2), "u": 300},
            ],
        )
    migrate.upgrade(engine, "0008")
    primary = inspect(engine).get_pk_constraint("quota_usage")["constrained_columns"]
    assert set(primary) == {"platform", "credential", "day"}
    now = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # noon in Los Angeles
    with make_session_factory(engine).begin() as session:
        # spent before the upgrade: every key's count today, so none is given back
        assert quota.used(session, "youtube", "CAMPAIGN_A_KEY", now) == 9990
        quota.spend(session, "youtube", "CAMPAIGN_A_KEY", 5, now)
        quota.spend(session, "youtube", "CAMPAIGN_B_KEY", 7, now)
        assert quota.month_used(session, "x:reads", "CAMPAIGN_B_TOKEN", now) == 300
    with make_session_factory(engine)() as session:
        assert quota.used(session, "youtube", "CAMPAIGN_A_KEY", now) == 9995
        assert quota.used(session, "youtube", "CAMPAIGN_B_KEY", now) == 9997
    migrate.downgrade(engine, "0007")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT platform, day, units FROM quota_usage")).all()
    # one count per platform and day again, as before: the credentials' counts summed
    assert sorted((p, str(d), u) for p, d, u in rows) == [
        ("x:reads", "2026-11-02", 300),
        ("youtube", "2026-11-23", 400),
        ("youtube", "2026-11-24", 9990 + 5 + 7),
    ]
    assert inspect(engine).get_pk_constraint("quota_usage")["constrained_columns"] == [
        "platform",
        "day",
    ]
    engine.dispose()
