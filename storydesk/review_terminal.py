"""`storydesk review` on a terminal: one card at a time, one key per decision.

The decisions are review.actions' (the review page calls the same functions); this module
only reads keys and prompts. A card stays on screen until it is decided, skipped or left:
opening the link, a refusal, an empty prompt all keep it, so the reviewer decides on
what they just watched. A card changed by another reviewer meanwhile is shown as it now
stands, never overwritten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from db.states import ReviewState
from review.terminal import printable
from storydesk.context import AppContext

if TYPE_CHECKING:
    from review.card import Card

KEYS = "[a]pprove  [r]eject  [h]old  [s]kip  [o]pen link  [c]hoose copies  [q]uit"


class TerminalReview:
    def __init__(self, app: AppContext, reviewer: str, consent: str | None) -> None:
        self.app = app
        self.reviewer = reviewer
        self.consent = consent
        self.loaded = app.campaign()
        self.sessions = app.sessions()
        self.skipped: set[int] = set()
        self.done = 0

    def run(self) -> None:
        from storydesk.keys import read_key

        while True:
            shown = self._next_card()
            if shown is None:
                click.echo(f"Queue empty: {self.done} decided, {len(self.skipped)} skipped.")
                return
            card, version = shown
            click.echo("")
            from review.card import card_lines

            for line in card_lines(card):
                click.echo(line)
            opened = 0
            chosen: list[int] | None = None  # the copies to send; None: all that may go
            while True:
                click.echo(KEYS)
                try:
                    key = read_key().lower()
                except EOFError:
                    key = "q"
                if key in ("q", "\x04"):
                    click.echo(f"Stopped: {self.done} decided, {len(self.skipped)} skipped.")
                    return
                if key == "s":
                    self.skipped.add(card["id"])
                    break
                if key == "o":
                    opened = self._open(card, opened)
                    continue
                if key == "c":
                    chosen = self._choose(card, chosen)
                    continue
                if key in ("a", "r", "h"):
                    if self._decide(key, card["id"], version, chosen):
                        break
                    continue
                click.echo(f"Unknown key {printable(key)!r}.")

    def _next_card(self) -> tuple[Card, str] | None:
        from review.card import testimony_card
        from review.queue import list_queue
        from review.versions import version_of

        with self.sessions() as session:
            items = [
                i
                for i in list_queue(
                    session,
                    ReviewState.PENDING,
                    None,
                    self.consent,
                    len(self.skipped) + 1,
                    campaign_id=self.loaded.id,
                )
                if i["id"] not in self.skipped
            ]
            if not items:
                return None
            tid = items[0]["id"]
            return testimony_card(session, tid, self.loaded), version_of(session, tid) or ""

    def _open(self, card: Card, opened: int) -> int:
        """Open the card's copies in turn (the first, then the next on the next `o`)."""
        import webbrowser

        urls = [p["url"] for p in card["posts"] if p["url"].startswith(("https://", "http://"))]
        if not urls:
            click.echo("This testimony has no web link to open.")
            return opened
        url = urls[opened % len(urls)]
        if not webbrowser.open(url):
            click.echo(f"open: {printable(url)}")
        else:
            click.echo(f"Opened {printable(url)}")
        return opened + 1

    def _choose(self, card: Card, chosen: list[int] | None) -> list[int] | None:
        """The reviewer picks the copies to send by their numbers on the card; the rule on
        each (review.actions.approve, db/copies.py) is the same as for every copy."""
        copies = card.get("copies") or []
        if len(copies) < 2:
            click.echo("This testimony has one copy: nothing to choose.")
            return chosen
        text = self._ask("Copies to send, by number (e.g. 1 3; Enter alone: every copy)")
        if not text:
            click.echo("Every copy that may go out will.")
            return None
        picked: list[int] = []
        for word in text.replace(",", " ").split():
            if not word.isdigit() or not 1 <= int(word) <= len(copies):
                click.echo(
                    f"{printable(word)!r} is no copy number (1 to {len(copies)}); nothing changed."
                )
                return chosen
            picked.append(int(word))
        picked = sorted(set(picked))
        said = ", ".join(f"copy {n} [{copies[n - 1]['platform']}]" for n in picked)
        click.echo(f"To send: {said}; the others stay. Press a to approve.")
        return [copies[n - 1]["post_id"] for n in picked]

    def _decide(self, key: str, tid: int, version: str, chosen: list[int] | None = None) -> bool:
        """Take the decision `key` stands for; True when the card is done with (decided,
        or changed by someone else), False when it stays on screen."""
        from review.refusals import overridable, reason

        if key in "rh":
            prompt = "Reason" if key == "r" else "Note"
            text = self._ask(prompt)
            if not text:
                click.echo(f"{prompt} is required; nothing done.")
                return False
            outcome = self._apply(key, tid, version, text)
        else:
            outcome = self._apply("a", tid, version, chosen=chosen)
            if outcome is not None and overridable(outcome):
                click.echo(f"{reason(outcome)}.")
                text = self._ask("Override reason (Enter alone: nothing done)")
                if not text:
                    click.echo("No reason given; nothing done.")
                    return False
                outcome = self._apply("a", tid, version, text, chosen)
        if outcome is None:  # changed meanwhile: said so, the queue shows it as it now is
            return True
        for line in outcome.message.splitlines():  # an approval lists its copies, one a line
            click.echo(printable(line))
        if outcome.ok:
            self.done += 1
            return True
        return False  # refused: the reason is on screen, the card stays

    def _ask(self, prompt: str) -> str:
        text: str = click.prompt(prompt, default="", show_default=False)
        return text.strip()

    def _apply(
        self,
        key: str,
        tid: int,
        version: str,
        text: str | None = None,
        chosen: list[int] | None = None,
    ) -> Any:
        from review.actions import approve, withdraw
        from review.versions import ChangedMeanwhile, lock_unchanged

        now = self.app.clock.now()
        try:
            with self.sessions() as session, session.begin():
                lock_unchanged(session, tid, version)
                if key == "a":
                    return approve(
                        session,
                        self.loaded,
                        [tid],
                        self.reviewer,
                        now,
                        override_reason=text,
                        copies=chosen,
                    )[0]
                action = "reject" if key == "r" else "hold"
                return withdraw(
                    session,
                    [tid],
                    action,
                    self.reviewer,
                    text or "",
                    now,
                    campaign_id=self.loaded.id,
                )[0]
        except ChangedMeanwhile as changed:
            click.echo(printable(changed.message()))
            return None
