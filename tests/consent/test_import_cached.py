"""The import reads a text it has read before from a cache (dates, ages, scopes): each row
still stores its own values, a text read in one column is read afresh in another, and a
text that is not a date is refused in every row that holds it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from consent.register import import_export
from db.models import ConsentRecord
from tests.consent.conftest import NOW, form, sessions_of, write_export
from tests.sandboxed import Setup, load

FIRST = {
    "submitted_at": "2026-03-04 10:00:00",
    "date_of_birth": "25/03/2001",
    "expires_at": "25/03/2028",
    "age": "15",
    "consent_scope": "website",
    "guardian_signed": "yes",
    "guardian_name": "Wang Fang",
}
SECOND = {
    "submitted_at": "2026-03-05 11:30:00",
    "date_of_birth": "",
    "expires_at": "26/03/2028",
    "age": "40",
    "consent_scope": "social;youtube",
    "guardian_signed": "no",
}


def stored(setup: Setup) -> dict[str, dict[str, Any]]:
    with sessions_of(setup)() as session:
        return {
            r.response_id: {
                "submitted_at": r.submitted_at,
                "date_of_birth": r.date_of_birth,
                "expires_at": r.expires_at,
                "age": r.age,
                "consent_scope": r.consent_scope,
                "guardian_signed": r.guardian_signed,
            }
            for r in session.scalars(select(ConsentRecord))
        }


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_each_row_stores_its_own_values(desk: Setup, batch: int) -> None:
    rows = [form(f"R{n}", f"Person {n}", **(FIRST if n % 2 else SECOND)) for n in range(1, 7)]
    # the text of R1's expiry as a date of birth: a date there, not R1's expiry time
    rows.append(form("R7", "Person 7", date_of_birth="25/03/2028", age="2"))
    # not dates, in a column whose good texts are cached: refused each time
    rows += [form(f"R{n}", f"Person {n}", expires_at="31/02/2028") for n in (8, 9)]
    lines: list[str] = []
    export = write_export(desk.path / "forms.csv", rows)
    report = import_export(
        sessions_of(desk), load(desk), export, NOW, "kim", on_reject=lines.append, batch=batch
    )
    assert (report.new, report.rejected_rows) == (7, 2)
    assert [line.split(": row ")[1] for line in lines] == [
        "9: expires_at: '31/02/2028' is not a date",
        "10: expires_at: '31/02/2028' is not a date",
    ]
    first = {
        "submitted_at": datetime(2026, 3, 4, 10, tzinfo=UTC),
        "date_of_birth": date(2001, 3, 25),
        "expires_at": datetime(2028, 3, 25, tzinfo=UTC),
        "age": 15,
        "consent_scope": ["website"],
        "guardian_signed": True,
    }
    second = {
        "submitted_at": datetime(2026, 3, 5, 11, 30, tzinfo=UTC),
        "date_of_birth": None,
        "expires_at": datetime(2028, 3, 26, tzinfo=UTC),
        "age": 40,
        "consent_scope": ["social", "youtube"],
        "guardian_signed": False,
    }
    forms = stored(desk)
    for n in range(1, 7):
        assert forms[f"R{n}"] == (first if n % 2 else second), n
    assert forms["R7"] == {
        "submitted_at": None,
        "date_of_birth": date(2028, 3, 25),
        "expires_at": None,
        "age": 2,
        "consent_scope": ["all"],
        "guardian_signed": False,
    }
