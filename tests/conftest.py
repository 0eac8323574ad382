"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from config.clock import SystemClock
from tests.pgserver import PostgresServer, find_bindir

# The sandbox and a campaign pointed at it, for every integration test.
pytest_plugins = ["tests.sandboxed"]

TEMPLATE_DB = "storydesk_template"
_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs against the sandbox (a server, a world, whole harvest and publish
    cycles) is an integration test: `python -m tests --fast` leaves it to the whole suite."""
    for item in items:
        if "sandbox" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        message = (
            "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH);"
            " install Debian's postgresql package to run the PostgreSQL leg"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the PostgreSQL leg must run)")
        pytest.skip(message)
    server = PostgresServer(bindir)
    server.start()
    try:
        _make_template(server)
        yield server
    finally:
        server.stop()


def _make_template(server: PostgresServer) -> None:
    from db import migrate
    from db.session import make_engine

    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    admin.dispose()
    engine = make_engine(server.url(TEMPLATE_DB))
    migrate.upgrade(engine)
    engine.dispose()


def new_pg_database(server: PostgresServer, template: str | None = TEMPLATE_DB) -> str:
    name = f"t_{os.getpid()}_{next(_counter)}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(text(f"CREATE DATABASE {name}{suffix}"))
    admin.dispose()
    return server.url(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from db import migrate
    from db.session import make_engine

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at the current schema: each test on its own, on both engines."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "storydesk.db"
        shutil.copyfile(template, target)
        target.chmod(0o600)
        return f"sqlite:///{target}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return new_pg_database(server)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, for tests that are about the embedded default."""
    target = tmp_path / "storydesk.db"
    shutil.copyfile(sqlite_template, target)
    target.chmod(0o600)
    return f"sqlite:///{target}"


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    from db.session import make_engine, make_session_factory

    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def skip_clock_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """In-process CLI runs use the system clock, whose sleeps are the real platforms' waits:
    a retry's back-off, a Reel or a TikTok upload polled every 5 s. The sandbox and the
    hostile server need none of them, so the sleeps are recorded (returned) instead of spent
    on the wall clock. The time itself stays real."""
    slept: list[float] = []
    monkeypatch.setattr(SystemClock, "sleep", lambda self, seconds: slept.append(seconds))
    return slept


@pytest.fixture
def no_clock_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """skip_clock_waits for one test: the sleeps it would have spent."""
    return skip_clock_waits(monkeypatch)
