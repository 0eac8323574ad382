from __future__ import annotations

import json

import click

from storydesk.context import AppContext


@click.command(name="status")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def command(app: AppContext, as_json: bool) -> None:
    """Show the database's schema version and what it holds."""
    from sqlalchemy import func, select

    from db import migrate
    from db.models import Post, Testimony

    engine = app.engine()
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    summary: dict[str, object] = {
        "database": app.display_db(),
        "schema": current,
        "schema_head": head,
        "up_to_date": current == head,
    }
    if current == head:
        with app.sessions()() as session:
            summary["posts"] = session.scalar(select(func.count()).select_from(Post)) or 0
            rows = session.execute(
                select(Testimony.review_state, func.count()).group_by(Testimony.review_state)
            ).all()
            summary["queue"] = {state: count for state, count in rows}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"database: {summary['database']}")
    click.echo(f"schema:   {current or 'empty'} (latest {head})")
    if current != head:
        click.echo("run `storydesk init` to create or upgrade it")
        return
    click.echo(f"posts:    {summary['posts']}")
    queue = summary["queue"]
    assert isinstance(queue, dict)
    click.echo("queue:    " + (", ".join(f"{k} {v}" for k, v in queue.items()) or "empty"))
