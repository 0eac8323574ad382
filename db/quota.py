"""Platform quotas by the day (YouTube: 10,000 units a day, reset at midnight Pacific time).

One meaning of "quota day" everywhere: the Pacific calendar day that contains a moment;
`day_start` and `day_end` are its bounds, `day_end` being when the quota resets.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from db.models import QuotaUsage

PACIFIC = ZoneInfo("America/Los_Angeles")
# X pay-per-use: posts read (search pages and compliance look-ups), each one charged
# (docs.x.com/x-api/getting-started/pricing); the ledger keeps them by day like a quota
X_READS = "x:reads"


def day_of(now: datetime) -> date:
    return now.astimezone(PACIFIC).date()


def day_start(now: datetime) -> datetime:
    """Midnight Pacific that starts the quota day holding `now` (aware, Pacific)."""
    return now.astimezone(PACIFIC).replace(hour=0, minute=0, second=0, microsecond=0)


def day_end(now: datetime) -> datetime:
    """When the quota resets: the next midnight Pacific (wall-clock arithmetic: DST-safe)."""
    return day_start(now) + timedelta(days=1)


def ledger_key(platform: str, bucket: str) -> str:
    """The ledger's row for a bucket: "youtube" for the shared units, "youtube:search" for
    search.list's own bucket (the ledger keeps each; its key column holds 16 characters)."""
    return f"{platform}:{bucket.split('.')[0]}"[:16] if bucket else platform


# The ledger counts per credential, as the platforms do (Google per API key, X per app),
# named by the variable that holds it: campaigns sharing a database but not a key do not
# spend each other's quota. Only the name is kept, never the value nor anything made from
# it. Two deployments giving one name different values share a count: they stop early,
# never overspend. LEGACY rows were recorded before migration 0008 told credentials apart.
LEGACY = ""


def _of(platform: str, credential: str) -> ColumnElement[bool]:
    # A LEGACY row may hold any credential's units: each credential counts it as its own,
    # so an upgrade mid-day gives back none of the day's spent quota (nor a month's reads).
    return (QuotaUsage.platform == platform) & QuotaUsage.credential.in_({credential, LEGACY})


def used(session: Session, platform: str, credential: str, now: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(QuotaUsage.units), 0)).where(
            _of(platform, credential), QuotaUsage.day == day_of(now)
        )
    )
    return int(total or 0)


def month_used(session: Session, platform: str, credential: str, now: datetime) -> int:
    """Units of the ledger's days in the calendar month holding `now` (its quota day)."""
    today = day_of(now)
    total = session.scalar(
        select(func.coalesce(func.sum(QuotaUsage.units), 0)).where(
            _of(platform, credential),
            QuotaUsage.day >= today.replace(day=1),
            QuotaUsage.day <= today,
        )
    )
    return int(total or 0)


def spend(session: Session, platform: str, credential: str, units: int, now: datetime) -> None:
    day = day_of(now)
    row = session.get(QuotaUsage, (platform, credential, day))
    if row is None:
        session.add(QuotaUsage(platform=platform, credential=credential, day=day, units=units))
    else:
        row.units += units
