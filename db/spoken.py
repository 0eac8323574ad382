"""The age a participant says in their post, as plainly as the campaign's scripted lines put
it ("I'm 15", "j'ai 15 ans", "tengo 15 años", "umri 15"...): the review card shows it beside
the form's, and db/copies.py reads it before an opt-in by reply may stand in for a form (never
for a minor, nor for someone whose age nothing says). A fact the text does not say is None,
never guessed."""

from __future__ import annotations

import re
from collections.abc import Iterator

AGE = re.compile(
    r"(?:\b(?:i'?m|i am|umri|tengo|tenho|j'ai)\s+|عمري\s*)(\d{1,2})\b(?!\s*(?:%|am|pm|h\b))"
    r"|(\d{1,2})\s*(?:years?\b|yrs?\b|ans\b|años\b|anos\b|岁|साल|سنة)",
    re.IGNORECASE,
)


def _ages(text: str) -> Iterator[int]:
    for match in AGE.finditer(text):
        value = int(match.group(1) or match.group(2))
        if 4 <= value <= 99:
            yield value


def spoken_age(text: str) -> int | None:
    """The first age the text says."""
    return next(_ages(text), None)


def spoken_ages(text: str) -> set[int]:
    """Every age the text says (a post may say two: a careful reader takes the least)."""
    return set(_ages(text))
