from __future__ import annotations

import click

from storydesk.context import AppContext


@click.command(name="daemon")
@click.option("--log-json", is_flag=True, help="Events on stderr as JSON lines.")
@click.pass_obj
def command(app: AppContext, log_json: bool) -> int:
    """Run on the campaign's schedule until stopped: each platform's harvest at its `every`
    (then matching), publishing and the compliance sweep at theirs, with jitter. One line
    per event on stderr. Several daemons may share one PostgreSQL database: each job runs
    on one of them at a time. SIGTERM or SIGINT stops it within seconds; exit 0."""
    from storydesk.actions import build_runner, event_log
    from storydesk.daemon import Daemon
    from storydesk.jobs import plan
    from storydesk.logs import bridge_library_logs

    loaded = app.campaign()
    log = event_log(app, log_json)
    bridge_library_logs(log)
    runner = build_runner(app, log)
    daemon = Daemon(runner, plan(loaded), log, loaded.settings.operations.jitter_seconds)
    return daemon.run()
