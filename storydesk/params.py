"""Command-line value types shared by the commands.

An id or a limit is bounded by what the database holds, so a number too large for it is a
usage error naming the argument, not an overflow in the driver: a row id by the id columns
(INTEGER: 32 bits on PostgreSQL; SQLite's would hold more, but one bound serves both), a
count by what LIMIT takes (64 bits).
"""

from __future__ import annotations

from typing import Any

import click

BIGGEST = 2**63 - 1
LARGEST_ID = 2**31 - 1


class Bounded(click.IntRange):
    """A whole number written in plain digits, within [low, high]. Anything else is a
    usage error that quotes at most the start of what was typed (click would echo all of
    it, and Python refuses to read an integer of over 4300 digits)."""

    def __init__(self, low: int, high: int, what: str) -> None:
        super().__init__(low, high)
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            text = value.strip()
            digits = text.lstrip("0") or "0"
            if (
                not (text.isascii() and text.isdigit())
                or len(digits) > 19
                or int(digits) > (self.max or 0)
                or int(digits) < (self.min or 0)
            ):
                shown = repr(text[:24] + ("..." if len(text) > 24 else ""))
                self.fail(
                    f"{shown} is not {self.what}: a whole number from {self.min} to {self.max}"
                )
            value = int(digits)
        return super().convert(value, param, ctx)


ROW_ID = Bounded(1, LARGEST_ID, "an id")
COUNT = Bounded(0, BIGGEST, "a count")


class FormId(click.ParamType[str]):
    """A consent form's response id as `consent show`/`revoke` take it: text no longer than
    the column that holds it; an empty or longer one names no form, and is a usage error."""

    name = "response id"

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from db.models.consent import column_limits

        text = value.strip()
        limit = column_limits()["response_id"]
        if not text:
            self.fail("is empty: name a form by its response id (`storydesk consent list`)")
        if len(text) > limit:
            self.fail(f"is longer than any response id ({len(text)} characters; at most {limit})")
        return text


FORM_ID = FormId()


class PlatformChoice(click.Choice):  # type: ignore[type-arg]
    """The registry's platforms that have `capability`, read only when click first needs
    them (a --platform given, or --help): importing the registry loads every platform's
    settings and client modules (pydantic, requests), which `queue` never needs otherwise."""

    def __init__(self, capability: str) -> None:
        self.capability = capability
        super().__init__((), case_sensitive=True)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        from platforms import registry

        return tuple(registry.names(self.capability))

    @choices.setter
    def choices(self, _: object) -> None:
        """click.Choice.__init__ sets them; they are always the registry's."""
