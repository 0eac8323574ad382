from __future__ import annotations

import json

import click

from storydesk.context import AppContext


@click.command(name="status")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def command(app: AppContext, as_json: bool) -> int:
    """Health at a glance, from what happened: the schema; per platform the last run, its
    result, new posts, requests and quota left today, the cursor's age; each job's last
    outcome; the review queue; failed publications and takedowns. Every alarm is one line
    in plain words with what to do next (a rejected or unset credential, a platform failing
    or finding nothing for a long while, a quota running out, a job failing, a takedown not
    done or to do by hand, a gallery that could not be rebuilt).

    Exit 0 healthy, 1 an alarm stands, 78 not configured or the database not initialised
    (or newer than this storydesk), 75 the database cannot be reached. Opens the database
    read-only and never creates it."""
    from storydesk.ops.status import database_status
    from storydesk.ops.status_text import print_status

    summary, code = database_status(app)
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        print_status(summary)
    return code
