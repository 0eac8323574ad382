from __future__ import annotations

import click

from storydesk.context import AppContext

KEYS = "[a]pprove  [r]eject  [h]old  [s]kip  [o]pen link  [q]uit"


@click.command(name="review")
@click.option("--as", "as_name", metavar="NAME", help="Reviewer name (default: $USER).")
@click.option("--consent", help="Only testimonies in this consent state (e.g. matched).")
@click.pass_obj
def command(app: AppContext, as_name: str | None, consent: str | None) -> None:
    """Step through the pending queue one card at a time, deciding with single keys:
    a approve, r reject (asks a reason), h hold (asks a note), s skip, o open the link,
    q quit."""
    import webbrowser

    from review.actions import approve, withdraw
    from review.card import card_lines, testimony_card
    from review.queue import list_queue
    from storydesk.commands.decide import reviewer

    loaded = app.campaign()
    sessions = app.sessions()
    name = reviewer(as_name)
    skipped: set[int] = set()
    done = 0
    while True:
        with sessions() as session:
            items = [
                i
                for i in list_queue(session, "pending", None, consent, len(skipped) + 1)
                if i["id"] not in skipped
            ]
            if not items:
                click.echo(f"Queue empty: {done} decided, {len(skipped)} skipped.")
                return
            card = testimony_card(session, items[0]["id"])
        click.echo("")
        for line in card_lines(card):
            click.echo(line)
        click.echo(KEYS)
        key = click.getchar().lower()
        tid = card["id"]
        if key == "q":
            click.echo(f"Stopped: {done} decided, {len(skipped)} skipped.")
            return
        if key == "s":
            skipped.add(tid)
            continue
        if key == "o":
            url = card["posts"][0]["url"] if card["posts"] else ""
            if not webbrowser.open(url):
                click.echo(f"open: {url}")
            skipped.add(tid)
            continue
        with sessions() as session, session.begin():
            if key == "a":
                outcome = approve(session, loaded, [tid], name, app.clock.now())[0]
            elif key in "rh":
                prompt = "Reason" if key == "r" else "Note"
                text = click.prompt(prompt, default="", show_default=False).strip()
                if not text:
                    click.echo(f"{prompt} is required; nothing done.")
                    continue
                outcome = withdraw(
                    session, [tid], "reject" if key == "r" else "hold", name, text, app.clock.now()
                )[0]
            else:
                click.echo(f"Unknown key {key!r}. {KEYS}")
                continue
        click.echo(outcome.message)
        if outcome.ok:
            done += 1
        else:
            skipped.add(tid)
