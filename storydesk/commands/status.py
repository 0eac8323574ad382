from __future__ import annotations

import json

import click

from storydesk.context import AppContext


@click.command(name="status")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def command(app: AppContext, as_json: bool) -> int:
    """Health at a glance: the schema; per platform the last run, its result, new posts,
    requests and quota left today, the cursor's age; the review queue; failed publications
    and why; alarms (a platform finding nothing where it used to, a rejected credential, a
    quota running out before it resets, a takedown not done). Exit 0 healthy, 1 when an
    alarm stands."""
    from db import migrate
    from storydesk.status import build_status
    from storydesk.status_text import print_status

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
        loaded = app.campaign() if app.config_path else None
        with app.sessions()() as session:
            summary.update(build_status(session, loaded, app.clock.now()))
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        print_status(summary)
    return 1 if summary.get("alarms") else 0
