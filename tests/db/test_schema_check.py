"""The schema check every command makes reads the scripts itself, and agrees with alembic."""

from __future__ import annotations

from pathlib import Path

from db import migrate
from db.session import make_engine


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    assert migrate._head_of_scripts() == migrate.head_revision()


def test_schema_state_without_alembic_agrees_with_alembic(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'check.db'}", create=True)
    head = migrate.head_revision()
    assert migrate.schema_state(engine) == (None, head, "empty")
    first = migrate.all_revisions()[0]
    migrate.upgrade(engine, first)
    assert migrate.schema_state(engine) == (first, head, "behind")
    migrate.upgrade(engine)
    assert migrate.schema_state(engine) == (head, head, "current")
    with engine.begin() as connection:  # stamped by a newer storydesk
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    assert migrate.schema_state(engine) == ("9999", head, "newer")
    engine.dispose()
