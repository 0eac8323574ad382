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
