"""Folding names and cities: accents, case and spacing go, whatever the script."""

from __future__ import annotations

import sys
import unicodedata

from consent import normalise


def test_folding_drops_exactly_the_combining_marks_of_all_unicode() -> None:
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    kept = everything.translate(normalise._Combining())
    assert kept == "".join(c for c in everything if not unicodedata.combining(c))


def test_accents_case_and_spacing_fold() -> None:
    assert normalise.text("  Zoë   NÚÑEZ ") == "zoe nunez"
    assert normalise.text("São Paulo") == normalise.text("SAO PAULO")
    assert normalise.text("\U0001e900\U0001e944") == "\U0001e922"  # Adlam: a nukta, cased
