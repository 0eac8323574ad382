"""Alembic, driven from code: the only way the schema is made or changed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def all_revisions() -> list[str]:
    """Oldest first."""
    script = ScriptDirectory(str(MIGRATIONS))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def schema_state(engine: Engine) -> tuple[str | None, str, str]:
    """(current, head, state): state is `current`, `empty` (never initialised), `behind`
    (an older schema: `init` upgrades it) or `newer` (made by a newer storydesk: this one
    must not touch it)."""
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
