"""Platform quotas by the day (YouTube: 10,000 units a day, reset at midnight Pacific time).

One meaning of "quota day" everywhere: the Pacific calendar day that contains a moment;
`day_start` and `day_end` are its bounds, `day_end` being when the quota resets.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

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


def used(session: Session, platform: str, now: datetime) -> int:
    row = session.get(QuotaUsage, (platform, day_of(now)))
    return row.units if row is not None else 0


def month_used(session: Session, platform: str, now: datetime) -> int:
    """Units of the ledger's days in the calendar month holding `now` (its quota day)."""
    from sqlalchemy import func, select

    today = day_of(now)
    total = session.scalar(
        select(func.coalesce(func.sum(QuotaUsage.units), 0)).where(
            QuotaUsage.platform == platform,
            QuotaUsage.day >= today.replace(day=1),
            QuotaUsage.day <= today,
        )
    )
    return int(total or 0)


def spend(session: Session, platform: str, units: int, now: datetime) -> None:
    day = day_of(now)
    row = session.get(QuotaUsage, (platform, day))
    if row is None:
        session.add(QuotaUsage(platform=platform, day=day, units=units))
    else:
        row.units += units
