"""What a database error means for the person at the terminal, and the exit code it gets.

The driver's own words ("connection refused", "attempt to write a readonly database") are
turned into one line that names the database and says who must act: a server that does not
answer is "try later" (75: cron runs again, the daemon waits), a file or URL a person must
fix is configuration (78). Anything else stays a failure (1) with the driver's first line.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from config.errors import ConfigError, StorydeskError, TryLater, WorkFailed


class DatabaseUnreachable(TryLater):
    """The database server does not answer (down, restarting, network): try again later."""


def where(url: str) -> str:
    """The database as a person names it: host and port for a server, the path for a file."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown as given (no password: it failed)
        return url
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"PostgreSQL at {host}{port} (database {parsed.database})"


def first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


def explain(exc: DBAPIError, url: str) -> StorydeskError:
    """One error a person can act on, for a driver error met while using `url`."""
    said = first_line(exc)
    lowered = said.lower()
    place = where(url)
    sqlite = place.startswith("SQLite")
    if sqlite:
        if "readonly" in lowered or "read-only" in lowered:
            return ConfigError(
                f"database: {place} is read-only and this command writes to it: run it as "
                "the file's owner, or make the file and its folder writable"
            )
        if "locked" in lowered or "busy" in lowered:
            return TryLater(f"database: {place} is busy (another storydesk is writing): {said}")
        if "file is not a database" in lowered:
            return ConfigError(
                f"database: {place} is not a storydesk database (another kind of file, or a "
                "damaged one): check the path in --db or STORYDESK_DB"
            )
        if "unable to open" in lowered:
            return ConfigError(
                f"database: {place} cannot be opened ({said}): check the path and its permissions"
            )
        return WorkFailed(f"database: {place}: {said}")
    unreachable = (
        exc.connection_invalidated
        or "connection refused" in lowered
        or "could not connect" in lowered
        or "timeout" in lowered
        or "timed out" in lowered
        or "could not translate host" in lowered
        or "name or service not known" in lowered
        or "server closed the connection" in lowered
        or "the database system is" in lowered  # starting up / shutting down / in recovery
        or "connection failed" in lowered
    )
    if "password authentication failed" in lowered or "role" in lowered and "not exist" in lowered:
        return ConfigError(
            f"database: {place} refused our login ({said}): check the user and password in "
            "--db or STORYDESK_DB"
        )
    if "database" in lowered and "does not exist" in lowered:
        return ConfigError(
            f"database: {place} does not exist on that server: create it, or fix the name in "
            "--db or STORYDESK_DB"
        )
    if "read-only transaction" in lowered:
        return WorkFailed(f"database: {place}: a read-only command tried to write: {said}")
    if unreachable:
        return DatabaseUnreachable(
            f"database: {place} cannot be reached ({said}); nothing was changed: try again "
            "once the server is up (cron and the daemon retry by themselves)"
        )
    return WorkFailed(f"database: {place}: {said}")
