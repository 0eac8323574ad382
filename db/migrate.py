"""Alembic, driven from code: the only way the schema is made or changed.

Every command checks the schema before it starts; importing alembic and reading its scripts
cost more than most commands' work (`queue`, `show`), so the check that the database is
current reads the version table and the scripts' revision lines itself, and asks alembic
only when they differ.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# `revision = "0006"` and `down_revision = "0005"` (or None) in each script
_REVISION_LINE = re.compile(
    r"^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(?:None|(['\"])([\w-]+)\2)\s*$", re.M
)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def all_revisions() -> list[str]:
    """Oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def schema_state(engine: Engine) -> tuple[str | None, str, str]:
    """(current, head, state): state is `current`, `empty` (never initialised), `behind`
    (an older schema: `init` upgrades it) or `newer` (made by a newer storydesk: this one
    must not touch it)."""
    stamped = _stamped(engine)
    if stamped is not None and stamped == _head_of_scripts():
        return stamped, stamped, "current"  # the usual case, without alembic
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return current, head, "current"
    if current is None:
        return current, head, "empty"
    if current in all_revisions():
        return current, head, "behind"
    return current, head, "newer"


def schema_problem(current: str | None, head: str, state: str, where: str) -> str | None:
    """What a person must do about the schema, in one line; None when it is current."""
    if state == "empty":
        return f"database {where} is not initialised: run `storydesk init` first"
    if state == "behind":
        return (
            f"database {where} is at schema {current}, older than this storydesk's {head}: "
            "run `storydesk init` to upgrade it"
        )
    if state == "newer":
        return (
            f"database {where} is at schema {current}, which is newer than this storydesk "
            f"(it knows up to {head}): upgrade storydesk on this host; do not run `init` with "
            "this version"
        )
    return None


def _stamped(engine: Engine) -> str | None:
    """The one revision in alembic's version table, or None (no table, none or several:
    alembic says what that means)."""
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except Exception:  # noqa: BLE001 - no version table: the slow path reports it
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def _head_of_scripts() -> str | None:
    """The head revision read from the scripts' `revision`/`down_revision` lines, or None
    when they are not plain enough to read without alembic (one head, string revisions)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = {name: value for name, _, value in _REVISION_LINE.findall(path.read_text())}
        if "revision" not in found or not found["revision"] or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
