"""Engines and sessions, built on demand (never at import time).

SQLite is the embedded default: WAL so readers never block the writer, a busy timeout so
two processes wait for each other instead of failing, and a file only its owner can read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

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


# A PostgreSQL server that does not answer is given this long, not the OS's minutes.
PG_CONNECT_TIMEOUT_SECONDS = 10


def _missing_file(path: str) -> ConfigError:
    return ConfigError(
        f"database: {os.path.abspath(path)} does not exist (a typo in --db or STORYDESK_DB? "
        "`storydesk init` creates a new database)"
    )


def _not_a_folder(path: str) -> None:
    if os.path.isdir(path):
        absolute = os.path.abspath(path)
        raise ConfigError(
            f"database: {absolute} is a folder, not a database file: name a file in --db or "
            f"STORYDESK_DB (such as sqlite:///{os.path.join(absolute, 'storydesk.db')})"
        )


def _prepare_sqlite_file(path: str, create: bool) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ConfigError(f"database: folder {directory} does not exist")
    _not_a_folder(path)
    if not create and not os.path.exists(path):
        # Only `init` makes a database: any other command on a mistyped path would leave a
        # stray empty file behind and then blame the schema.
        raise _missing_file(path)
    # Create the file ourselves so it is 0600 from its first byte (umask cannot widen it).
    existed = os.path.exists(path)
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        if not existed:
            os.chmod(path, 0o600)
    except PermissionError:
        raise ConfigError(
            f"database: {os.path.abspath(path)} is read-only to this user and this command "
            "writes to it: run it as the file's owner, or make the file and its folder "
            "writable (queue, show, status and export only read)"
        ) from None


def make_engine(
    url: str = DEFAULT_URL, *, create: bool = True, read_only: bool = False, **kwargs: Any
) -> Engine:
    """An engine on `url`. `create`: a missing SQLite file may be made (only `init` and
    the demo ask for it). `read_only`: the commands that only read open SQLite read-only,
    so they work on a file they may not write, and can never change it."""
    # A database error names the statement, never the row's values: they are personal data
    # (names, e-mails, ages) and would reach stderr, logs and tracebacks.
    kwargs.setdefault("hide_parameters", True)
    try:
        url = normalise_url(url)
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - sqlalchemy raises several kinds for a bad URL
        raise ConfigError(f"database: '{url}' is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if path and read_only:
            if not os.path.exists(path):
                raise _missing_file(path)
            _not_a_folder(path)
            url = _read_only_url(path)
            connect_args["uri"] = True
        elif path:
            _prepare_sqlite_file(path, create)
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if not read_only:  # WAL is a property of the file, set by the writers
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # 64 MiB of pages (the default is 2): matching 100k posts rewrites five indexes
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("connect_args", {}).setdefault(
            "connect_timeout", PG_CONNECT_TIMEOUT_SECONDS
        )
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        if read_only:

            @event.listens_for(engine, "connect")
            def _read_only(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.read_only = True

        return engine
    raise ConfigError(
        f"database: {parsed.get_backend_name()} is not supported (sqlite, postgresql)"
    )


def _read_only_url(path: str) -> str:
    """SQLite's own read-only mode. In a folder we may not write, the WAL index cannot be
    made either: the file is then read as immutable (nobody can be writing it from here)."""
    absolute = os.path.abspath(path)
    mode = "ro" if os.access(os.path.dirname(absolute), os.W_OK) else "ro&immutable=1"
    return f"sqlite:///file:{quote(absolute)}?mode={mode}&uri=true"


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
