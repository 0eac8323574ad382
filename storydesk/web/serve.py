"""Serve the review page with waitress on 127.0.0.1 until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click

from config.errors import ConfigError
from storydesk.context import AppContext

HOST = "127.0.0.1"  # this machine only: the page shows participants' personal data
THREADS = 4  # a few reviewers' browsers at once; the database serialises the writes


def serve(app: AppContext, reviewer: str, port: int, consent: str | None = None) -> None:
    from waitress import create_server

    from storydesk.web.app import Desk, create_app

    desk = Desk(app.sessions(), app.campaign(), app.clock, reviewer)
    web = create_app(desk)
    try:
        server = create_server(web, host=HOST, port=port, threads=THREADS, ident="storydesk")
    except OSError as exc:
        raise ConfigError(f"review --web: cannot listen on {HOST}:{port}: {exc.strerror}") from None
    desk.port = int(server.effective_port)  # type: ignore[union-attr]
    # waitress says "Serving on ..." without the token: the line below is the one to use
    logging.getLogger("waitress").setLevel(logging.WARNING)
    start = f"http://{HOST}:{desk.port}/"
    # `t`, not `token`: config/redact.py masks `token=...` in all output, and this one is
    # meant to be seen (it opens a page on this machine, for this run only)
    query = f"?t={desk.keys.token}" + (f"&consent={consent}" if consent else "")
    click.echo(f"Review page for {reviewer}: {start}{query}")
    click.echo("Open it in a browser on this machine; Ctrl-C stops it.", err=True)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Review page stopped.", err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
