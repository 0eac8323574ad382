from __future__ import annotations

import click

from storydesk.context import AppContext


@click.command(name="init")
@click.pass_obj
def command(app: AppContext) -> None:
    """Create the database, or upgrade it to the current schema. Safe to run again."""
    from db import migrate

    engine = app.engine()
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    if before == after:
        click.echo(f"database {app.display_db()} is up to date (schema {after})")
    else:
        click.echo(f"database {app.display_db()} upgraded from {before or 'empty'} to {after}")
