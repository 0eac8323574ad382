"""Which tier of the suite is running: `python -m tests --fast` sets STORYDESK_TESTS_TIER=fast
for the edit-test loop; the whole suite (and a plain `pytest`) runs everything in full."""

from __future__ import annotations

import os

TIER_VARIABLE = "STORYDESK_TESTS_TIER"


def fast() -> bool:
    return os.environ.get(TIER_VARIABLE) == "fast"


def examples(full: int) -> int:
    """Hypothesis examples for a property whose examples are costly (the database, the CLI,
    files): `full` in the whole suite, a sixth of it (at least 8) in the fast tier. The
    property and its assertions are the same in both; the fast tier only searches less far."""
    return max(full // 6, 8) if fast() else full
