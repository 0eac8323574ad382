"""Captions and gallery cards greet people by the first name they wrote, not in capitals."""

from __future__ import annotations

import pytest

from publisher.common import first_name_of


@pytest.mark.parametrize(
    ("full_name", "shown"),
    [
        ("LUCÍA Pérez", "Lucía"),
        ("liam müller", "Liam"),
        ("McKenzie Jones", "McKenzie"),
        ("Jean-Luc Picard", "Jean-Luc"),
        ("ليلى حداد", "ليلى"),
        ("", ""),
        (None, ""),
    ],
)
def test_first_name_as_people_write_it(full_name: str | None, shown: str) -> None:
    assert first_name_of(full_name) == shown
