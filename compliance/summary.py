"""What a sweep did, per platform and per kind of action, and what stopped it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ComplianceSummary:
    checked: Counter[str] = field(default_factory=Counter)  # platform -> posts looked up
    gone: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )  # platform -> source state -> posts purged
    refreshed: Counter[str] = field(default_factory=Counter)
    minimised: int = 0  # never matched, past purge_unmatched_after_days
    withdrawn_purged: int = 0  # consent records whose personal data went
    withdrawn_waiting: int = 0  # withdrawn, takedowns not done yet
    takedowns_requested: int = 0
    taken_down: int | None = None  # by the publisher during the sweep, when it was asked to
    requests: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    try_later: list[str] = field(default_factory=list)
    retry_at: datetime | None = None

    def status(self) -> str:
        if self.errors:
            return "failed"
        if self.try_later:
            return "try-later"
        return "ok"

    def counts(self) -> dict[str, int]:
        """Flat figures for a log line or an audit entry."""
        flat: dict[str, int] = {
            "checked": sum(self.checked.values()),
            "gone": sum(sum(c.values()) for c in self.gone.values()),
            "refreshed": sum(self.refreshed.values()),
            "minimised": self.minimised,
            "withdrawn_purged": self.withdrawn_purged,
            "withdrawn_waiting": self.withdrawn_waiting,
            "takedowns_requested": self.takedowns_requested,
        }
        if self.taken_down is not None:
            flat["taken_down"] = self.taken_down
        return flat

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status(),
            **self.counts(),
            "checked_by_platform": dict(self.checked),
            "gone_by_platform": {p: dict(c) for p, c in self.gone.items()},
            "refreshed_by_platform": dict(self.refreshed),
            "requests": dict(self.requests),
            "notes": self.notes,
            "errors": self.errors,
            "try_later": self.try_later,
        }
