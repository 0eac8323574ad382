"""Folding names and cities: accents, case and spacing go, whatever the script."""

from __future__ import annotations

import sys
import unicodedata

from consent import normalise


def test_no_combining_mark_lies_past_the_planes_folding_looks_at() -> None:
    past = range(normalise.LAST_PLANE_WITH_MARKS + 1, sys.maxunicode + 1)
    assert not [cp for cp in past if unicodedata.combining(chr(cp))]


def test_accents_case_and_spacing_fold() -> None:
    assert normalise.text("  Zoë   NÚÑEZ ") == "zoe nunez"
    assert normalise.text("São Paulo") == normalise.text("SAO PAULO")
    assert normalise.text("\U0001e900\U0001e944") == "\U0001e922"  # Adlam: a nukta, cased
