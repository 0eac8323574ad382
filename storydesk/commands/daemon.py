from __future__ import annotations

import click

from storydesk.context import AppContext


@click.command(name="daemon")
@click.option("--log-json", is_flag=True, help="Events on stderr as JSON lines.")
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics on this port (off by default; 0 picks a free one).",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    help="Address the metrics are served on.",
)
@click.pass_obj
def command(app: AppContext, log_json: bool, metrics_port: int | None, metrics_host: str) -> int:
    """Run on the campaign's schedule until stopped: each platform's harvest at its `every`
    (then matching), publishing and the compliance sweep at theirs, with jitter. One line
    per event on stderr. Several daemons may share one PostgreSQL database: each job runs
    on one of them at a time. SIGTERM or SIGINT stops it within seconds; exit 0.

    With --metrics-port, Prometheus metrics (posts harvested, requests and quota used per
    platform, queue sizes, publications by state, alarms) are served at /metrics, read from
    the database at each scrape."""
    from storydesk.ops.actions import build_runner, event_log
    from storydesk.ops.daemon import Daemon
    from storydesk.ops.jobs import plan
    from storydesk.ops.logs import bridge_library_logs

    loaded = app.campaign()
    log = event_log(app, log_json)
    bridge_library_logs(log)
    runner = build_runner(app, log)
    daemon = Daemon(
        runner, plan(loaded), log, loaded.settings.operations.jitter_seconds, clock=app.clock
    )
    server = None
    if metrics_port is not None:
        from storydesk.ops.metrics import serve_metrics

        try:
            server = serve_metrics(
                app.sessions(), loaded, app.clock.now, metrics_port, metrics_host
            )
        except OSError as exc:
            from config.errors import ConfigError

            raise ConfigError(
                f"--metrics-port {metrics_port}: cannot serve on {metrics_host}: {exc.strerror}"
            ) from None
        host, port = server.server_address[:2]
        log.info("metrics.serving", url=f"http://{host}:{port}/metrics")
    try:
        return daemon.run()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
