from __future__ import annotations

import click

from config.errors import ExitCode
from db.states import ConsentState
from storydesk.context import AppContext

NO_TERMINAL = (
    "storydesk: review reads single keys from a terminal and there is none here; "
    "use `queue` and `approve`, or `review --web`"
)


@click.command(name="review")
@click.option("--as", "as_name", metavar="NAME", help="Reviewer name (default: $USER).")
@click.option(
    "--consent",
    type=click.Choice([s.value for s in ConsentState]),
    help="Only testimonies in this consent state.",
)
@click.option(
    "--web",
    is_flag=True,
    help="Serve the review page on 127.0.0.1 instead: videos, post and form side by side.",
)
@click.option(
    "--port",
    default=0,
    show_default="a free port",
    type=click.IntRange(0, 65535),
    help="With --web: the port to serve on.",
)
@click.pass_obj
def command(app: AppContext, as_name: str | None, consent: str | None, web: bool, port: int) -> int:
    """Step through the pending queue one card at a time, deciding with single keys:
    a approve (asks the override reason where consent needs a person's check), r reject
    (asks a reason), h hold (asks a note), s skip, o open the link (the card stays),
    q quit.

    With --web, serve the same decisions as a page on 127.0.0.1 (the URL, with its token,
    is printed): the videos, each copy's rule results and consent evidence, the form beside
    them, and keyboard shortcuts j/k, a, r, h. Stop it with Ctrl-C."""
    from storydesk.commands.decide import reviewer

    name = reviewer(as_name)
    if web:
        from storydesk.web.serve import serve

        serve(app, name, port, consent)
        return ExitCode.OK
    from storydesk.keys import drain, is_terminal

    if not is_terminal():
        click.echo(NO_TERMINAL, err=True)
        return ExitCode.USAGE
    from storydesk.review_terminal import TerminalReview

    try:
        TerminalReview(app, name, consent).run()
    finally:
        drain()
    return ExitCode.OK
