"""Keeping two runs of the same work apart, on one host and across hosts.

- The run lock: one `run-once` at a time. SQLite: an fcntl lock on a file beside the
  database (released by the kernel if the process dies). PostgreSQL: a session advisory
  lock, held by a connection of its own (released by the server if the process dies).
  A second run is told at once who holds it (TryLater: exit 75).
- Leases (db.models.Lease): a claim on one job ("harvest:x", "publish", ...) with an expiry,
  so daemons on several hosts sharing one PostgreSQL never run the same job at once. The
  row stays after release: its `acquired_at` is when that job last started.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from config.errors import TryLater
from config.workers import process_gone
from db.models import Lease
from db.session import sqlite_path, transaction

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

    from config.clock import Clock


class LockHeld(TryLater):
    """Another run holds the lock; the message names it."""


class RunLock(Protocol):
    def acquire(self) -> None: ...

    def release(self) -> None: ...

    def __enter__(self) -> RunLock: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _Context:
    def acquire(self) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Context:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class FileLock(_Context):
    """fcntl.flock on `path`; the holder's name and start time are written inside it."""

    def __init__(self, path: str | Path, holder: str, since: datetime) -> None:
        self.path, self.holder, self.since = Path(path), holder, since
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            raise LockHeld(
                f"another storydesk run holds the lock {self.path} "
                f"({self._read_holder() or 'holder unknown'}); try again later"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.holder} since {self.since:%Y-%m-%d %H:%M:%S} UTC\n".encode())
        self._fd = fd

    def _read_holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock from a lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLock(_Context):
    """pg_try_advisory_lock on a connection of its own, named for pg_stat_activity."""

    def __init__(self, engine: Engine, name: str, holder: str) -> None:
        self.engine, self.name, self.holder = engine, name, holder
        self.key = advisory_key(name)
        self._conn: Connection | None = None

    def acquire(self) -> None:
        conn = self.engine.connect()
        try:
            conn.execute(
                text("SELECT set_config('application_name', :n, false)"),
                {"n": f"storydesk {self.holder}"[:63]},
            )
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            holder = self._holder(conn)
            conn.close()
            raise LockHeld(
                f"another storydesk run holds the lock '{self.name}' on the database "
                f"({holder or 'holder unknown'}); try again later"
            )
        self._conn = conn

    def _holder(self, conn: Connection) -> str:
        # Advisory keys are split into classid (high 32 bits) and objid (low 32 bits).
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        row = conn.execute(
            text(
                "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.granted AND l.classid::bigint = :hi AND l.objid::bigint = :lo LIMIT 1"
            ),
            {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
        ).first()
        conn.rollback()
        if row is None:
            return ""
        name = str(row[0] or "").removeprefix("storydesk ") or "another client"
        return f"{name} since {row[2]:%Y-%m-%d %H:%M:%S %Z}"

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None


def run_lock(
    engine: Engine, campaign_id: str, lock_file: str | None, holder: str, now: datetime
) -> RunLock:
    """The lock for one run of `campaign_id` on this database (file or advisory)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, f"storydesk run {campaign_id}", holder)
    if lock_file is None:
        database = sqlite_path(engine.url.render_as_string(hide_password=False))
        lock_file = f"{database}.lock" if database else f"storydesk-{campaign_id}.lock"
    return FileLock(lock_file, holder, now)


@dataclass
class LeaseState:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


def claim_lease(
    sessions: sessionmaker[Session],
    name: str,
    holder: str,
    now: datetime,
    ttl: timedelta,
    started_before: datetime | None = None,
) -> LeaseState | None:
    """Claim `name` until now + ttl; None while another live holder has it, or (with
    `started_before`) when the job last started after that time: someone just ran it."""
    expires = now + ttl
    with transaction(sessions) as session:
        current = session.get(Lease, name)
        if current is None:
            try:
                with session.begin_nested():
                    session.add(
                        Lease(name=name, holder=holder, acquired_at=now, expires_at=expires)
                    )
                return LeaseState(name, holder, now, expires)
            except IntegrityError:
                pass  # another host inserted it first: fall through to the guarded update
            current = session.get(Lease, name)
            if current is None:
                return None
        taken_over = current.expires_at > now and process_gone(current.holder)
        guard = (Lease.expires_at <= now) | (Lease.holder == holder)
        if taken_over:
            guard = guard | (Lease.holder == current.holder)
        if started_before is not None:
            guard = guard & (Lease.acquired_at <= started_before)
        # The guarded UPDATE is the claim: of two hosts racing, one matches no row.
        result = session.execute(
            update(Lease)
            .where(Lease.name == name, guard)
            .values(holder=holder, acquired_at=now, expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
    return LeaseState(name, holder, now, expires)


def lease_renewer(
    sessions: sessionmaker[Session], name: str, holder: str, clock: Clock, ttl: timedelta
) -> Callable[[], None]:
    """Extends a held lease while a long job goes on (called after each stored page): a
    claim once a third of its time has passed, not on every call."""
    last = [clock.now()]

    def renew() -> None:
        now = clock.now()
        if now - last[0] >= ttl / 3:
            claim_lease(sessions, name, holder, now, ttl)
            last[0] = now

    return renew


def release_lease(sessions: sessionmaker[Session], name: str, holder: str, now: datetime) -> None:
    """Let go (the row stays, expired, as the record of the job's last start)."""
    with transaction(sessions) as session:
        session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )


def lease_holder(session: Session, name: str, now: datetime) -> LeaseState | None:
    """Who holds `name` now, if anyone."""
    row = session.scalar(select(Lease).where(Lease.name == name, Lease.expires_at > now))
    if row is None:
        return None
    return LeaseState(row.name, row.holder, row.acquired_at, row.expires_at)


def last_started(session: Session, name: str) -> datetime | None:
    row = session.get(Lease, name)
    return row.acquired_at if row is not None else None
