"""Engines and sessions, built on demand (never at import time).

SQLite is the embedded default: WAL so readers never block the writer, a busy timeout so
two processes wait for each other instead of failing, and a file only its owner can read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from config.errors import ConfigError

DEFAULT_URL = "sqlite:///storydesk.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Accept postgresql:// as people write it, and use the psycopg 3 driver for it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def sqlite_path(url: str) -> str | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    return None if not database or database == ":memory:" else database


def _prepare_sqlite_file(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ConfigError(f"database: folder {directory} does not exist")
    # Create the file ourselves so it is 0600 from its first byte (umask cannot widen it).
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    try:
        url = normalise_url(url)
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - sqlalchemy raises several kinds for a bad URL
        raise ConfigError(f"database: '{url}' is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path:
            _prepare_sqlite_file(path)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # 64 MiB of pages (the default is 2): matching 100k posts rewrites five indexes
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    raise ConfigError(
        f"database: {parsed.get_backend_name()} is not supported (sqlite, postgresql)"
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed as a whole or not at all."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def large_page_cache(session: Session, mebibytes: int) -> Iterator[None]:
    """On SQLite, a page cache of `mebibytes` for one piece of work that rewrites whole
    tables and their indexes (matching 200k posts rewrites six: with the usual 64 MiB,
    pages are written out and read back), given back afterwards. Elsewhere, nothing."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    usual = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{mebibytes * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(usual or -2000)}")
