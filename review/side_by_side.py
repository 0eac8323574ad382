"""The post beside the form, for the reviewer: each copy's handle and the form's handle it
resembles, and the age, city and country the participant says in the video's text against
the form's; what differs is flagged. A reviewer confirms a `needs-check` form with these.

Detection is deliberately plain (the campaign's scripted lines in its languages: "I'm 15",
"j'ai 15 ans", "tengo 15 años", "from Lyon", "à Lyon", "kutoka Nairobi"...): a fact the
text does not say is shown as not said, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from consent import normalise
from db.spoken import spoken_age
from platforms import registry

if TYPE_CHECKING:
    from review.queue import PostRow

PLACE = re.compile(
    r"(?:\bfrom|\bin|\bà|\ben|\bde|\bkutoka|来自|\bde la|\bdu)\s+"
    r"([A-ZÀ-ÖØ-Þ\u0600-\u06ff\u0900-\u097f\u4e00-\u9fff][\w\u00c0-\u024f\u0600-\u06ff"
    r"\u0900-\u097f\u4e00-\u9fff'’-]*(?:\s+[A-Z][\w\u00c0-\u024f'’-]*)?)"
)
FORM_ACCOUNT = registry.consent_fields()
SAME_PLACE = 85  # rapidfuzz partial_ratio, as the matcher compares cities


def _said(place: str | None, text: str) -> bool:
    folded = normalise.text(place)
    body = normalise.text(text)
    if not folded:
        return False
    if folded in body:  # what partial_ratio scores 100, without loading rapidfuzz for it
        return True
    from rapidfuzz import fuzz  # here: `show` loads it only for a place said differently

    return fuzz.partial_ratio(folded, body) >= SAME_PLACE


def spoken_place(text: str, form_value: str | None) -> str | None:
    """The form's city (or country) when the text says it, else the first place the text
    names after "from", "in", "à"..., else None."""
    if form_value and _said(form_value, text):
        return form_value
    match = PLACE.search(text)
    return match.group(1).strip(" ,.") if match else None


def form_age(form: dict[str, Any], today: date) -> int | None:
    if form.get("age") is not None:
        return int(form["age"])
    born = form.get("date_of_birth")
    if isinstance(born, date):
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return None


def _row(field: str, post: Any, form: Any, compare: bool = True) -> dict[str, Any]:
    differs = bool(
        compare
        and post is not None
        and form is not None
        and normalise.text(str(post)) != normalise.text(str(form))
    )
    return {"field": field, "post": post, "form": form, "differs": differs}


def side_by_side(
    posts: Sequence[PostRow],
    form: dict[str, Any] | None,
    handles: dict[str, str | None],
    evidence: dict[int, dict[str, Any]],
    today: date,
) -> list[dict[str, Any]]:
    """Rows of {field, post, form, differs}: one handle row per copy (the form's value for
    that platform, or the one the matcher found it resembles), then age, city, country."""
    rows = []
    for post in posts:
        said = evidence.get(post["post_id"], {})
        # a handle one typo away: the one the matcher found; else what the form gives
        similar = said.get("form_value") if said.get("by") == "handle_similar" else None
        on_form = similar or handles.get(post["platform"])
        mine = post["author"]
        row = _row(f"{post['platform']} account", mine, on_form, compare=False)
        if mine and on_form:
            theirs = normalise.text(str(on_form))
            same = normalise.handle(str(mine)) == normalise.handle(str(on_form)) or any(
                value and normalise.text(str(value)).lstrip("@") in theirs
                for value in (mine, post.get("author_id"))
            )
            row["differs"] = not same
        rows.append(row)
    text = " ".join(p["text"] for p in posts)
    form = form or {}
    rows.append(_row("age", spoken_age(text), form_age(form, today)))
    rows.append(_row("city", spoken_place(text, form.get("city")), form.get("city")))
    said_country = form.get("country") if _said(form.get("country"), text) else None
    rows.append(_row("country", said_country, form.get("country"), compare=False))
    return rows
