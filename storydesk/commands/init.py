from __future__ import annotations

import click

from storydesk.context import AppContext


@click.command(name="init")
@click.pass_obj
def command(app: AppContext) -> None:
    """Create the database, or upgrade it to the current schema. Safe to run again."""
    from config.errors import ConfigError
    from db import migrate

    engine = app.engine()
    before, head, state = migrate.schema_state(engine)
    if state == "newer":
        problem = migrate.schema_problem(before, head, state, app.display_db())
        raise ConfigError(problem or "")
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    if before == after:
        click.echo(f"database {app.display_db()} is up to date (schema {after})")
    else:
        click.echo(f"database {app.display_db()} upgraded from {before or 'empty'} to {after}")
