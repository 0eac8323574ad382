"""Alembic environment: the engine comes from db.migrate (or sqlalchemy.url for the CLI)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from db.models import Base
from db.session import make_engine

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///storydesk.db")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
