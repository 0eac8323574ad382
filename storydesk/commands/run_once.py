from __future__ import annotations

import json

import click

from config.workers import worker_id
from storydesk.context import AppContext


@click.command(name="run-once")
@click.option("--log-json", is_flag=True, help="Events on stderr as JSON lines.")
@click.option("--json", "as_json", is_flag=True, help="The jobs' outcomes as one JSON document.")
@click.pass_obj
def command(app: AppContext, log_json: bool, as_json: bool) -> int:
    """Run everything that is due, once, then exit: for cron. Harvests each platform whose
    interval has passed (then matches consent), runs the compliance sweep and publishes
    when theirs have. A second run while one is going exits 75 at once, naming the holder.
    Exit 0 done (or nothing due), 1 a job failed, 75 only "try later" (rate limit, quota)."""
    from dataclasses import asdict

    from storydesk.ops import locks
    from storydesk.ops.actions import build_runner, event_log
    from storydesk.ops.jobs import exit_code, plan

    loaded = app.campaign()
    app.sessions()  # the schema check, before taking the lock
    log = event_log(app, log_json)
    holder = worker_id()
    lock = locks.run_lock(
        app.engine(), loaded.id, loaded.settings.operations.lock_file, holder, app.clock.now()
    )
    with lock:
        log.info("run.start", campaign=loaded.id, holder=holder)
        outcomes = build_runner(app, log, holder).cycle(plan(loaded))
        code = exit_code(outcomes)
        log.info("run.done", jobs=len(outcomes), exit=code)
    if as_json:
        click.echo(json.dumps([asdict(o) for o in outcomes], indent=2, default=str))
        return code
    for o in outcomes:
        figures = ", ".join(f"{k} {v}" for k, v in o.detail.items() if v is not None)
        line = f"{o.job}: {o.status}" + (f" ({figures})" if figures else "")
        click.echo(line + (f": {o.error}" if o.error else ""))
    if not outcomes:
        click.echo("nothing was due")
    return code
