"""What differs between a testimony's posts and its consent form, for the reviewer's eye.

These are hints, not rules: nothing here refuses a decision (review.actions does that).
A reviewer watching the video checks that it is the person on the form; a post that names
another city, another age or another first name than the form is the first thing to look at.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from review.card import Card

# "I'm 39 years old", "j'ai 12 ans", "tengo 15 años", "11岁", "ich bin 16 Jahre alt"
AGE_SAID = re.compile(
    r"(?<!\d)(\d{1,3})\s*(?:years?[\s-]old|yo\b|ans\b|años\b|anos\b|jahre\b|岁|歳|سنة|лет)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Difference:
    field: str  # the form's field: name, age, city, country, role, guardian, handle
    form: str
    post: str
    note: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "form": self.form, "post": self.post, "note": self.note}


def folded(text: str) -> str:
    """Case- and accent-insensitive: "Lucía" and "LUCIA" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def ages_said(text: str) -> list[int]:
    return [int(m.group(1)) for m in AGE_SAID.finditer(text or "")]


def differences(card: Card, minimum_age: int = 18) -> list[Difference]:
    """The form's fields the posts do not bear out (card: review.card.testimony_card)."""
    form = card.get("form")
    posts = card.get("posts") or []
    if not form or not posts:
        return []
    found: list[Difference] = []
    words = folded(" ".join(p.get("text") or "" for p in posts))
    authors = folded(" ".join(str(p.get("author") or "") for p in posts))
    first = (form.get("full_name") or "").split(" ", 1)[0]
    if first and folded(first) not in words and folded(first) not in authors:
        found.append(Difference("name", form["full_name"], "", f"the posts never say {first}"))
    age = form.get("age")
    said = sorted(set(ages_said(" ".join(p.get("text") or "" for p in posts))))
    if age is not None and said and age not in said:
        found.append(
            Difference(
                "age",
                str(age),
                ", ".join(map(str, said)),
                f"the form says {age}, the post says {', '.join(map(str, said))}",
            )
        )
    for key in ("city", "country"):
        value = form.get(key)
        if value and folded(value) not in words:
            found.append(Difference(key, value, "", f"the posts do not name {value}"))
    role = card.get("role")
    if form.get("role") and role and form["role"] != role:
        found.append(
            Difference(
                "role",
                form["role"],
                role,
                f"the form says {form['role']}, the post reads as {role}",
            )
        )
    minor = age is not None and age < minimum_age
    if minor and not form.get("guardian_signed"):
        found.append(
            Difference(
                "guardian",
                form.get("guardian_name") or "",
                "",
                f"under {minimum_age} and no guardian's signature on the form",
            )
        )
    evidence = card.get("consent_evidence") or {}
    if evidence.get("form_value") and evidence.get("value") != evidence.get("form_value"):
        found.append(
            Difference(
                "handle",
                str(evidence["form_value"]),
                str(evidence.get("value")),
                f"the form names {evidence['form_value']}, the post is by {evidence.get('value')}",
            )
        )
    return found
