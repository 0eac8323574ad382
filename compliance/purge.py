"""Purging a stored copy: the words, the raw payload and who wrote it go; ids stay.

What is kept (ids, URL, rule results, states, times) is what the audit trail and the
campaign report need to prove what happened, and nothing that says who a person is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from db.models import ConsentRecord, Post, QuotaUsage

PACIFIC = ZoneInfo("America/Los_Angeles")

# The form's personal fields; response_id, state, scope, dates and row hash stay as proof.
PERSONAL_CONSENT_FIELDS = (
    "full_name",
    "age",
    "date_of_birth",
    "city",
    "country",
    "email",
    "x_handle",
    "youtube_channel",
    "instagram_handle",
    "facebook_profile",
    "tiktok_handle",
    "linkedin_profile",
    "video_file",
    "guardian_name",
    "guardian_relationship",
    "signature",
)


def purge_post(post: Post, now: datetime, source_state: str | None = None) -> None:
    """Drop the stored copy of `post` (text, raw, author); keep ids, URL and rule results."""
    post.text = ""
    post.raw = None
    post.author_id = None
    post.author_handle = None
    post.author_name = None
    post.mentions = []
    post.links = []
    post.media_url = None
    post.edit_history = []
    post.fingerprint = None
    post.purged_at = now
    post.updated_at = now
    if source_state is not None:
        post.source_state = source_state
        post.source_checked_at = now


def purge_consent(record: ConsentRecord, now: datetime) -> None:
    for name in PERSONAL_CONSENT_FIELDS:
        setattr(record, name, None)
    record.video_urls = []
    record.history = []
    record.personal_data_purged_at = now


def quota_day(now: datetime) -> datetime:
    """The start of YouTube's quota day (midnight Pacific) that contains `now`."""
    local = now.astimezone(PACIFIC)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def quota_used(session: Session, platform: str, now: datetime) -> int:
    row = session.get(QuotaUsage, (platform, quota_day(now).date()))
    return row.units if row is not None else 0


def spend_quota(session: Session, platform: str, units: int, now: datetime) -> None:
    day = quota_day(now).date()
    row = session.get(QuotaUsage, (platform, day))
    if row is None:
        session.add(QuotaUsage(platform=platform, day=day, units=units))
    else:
        row.units += units


def quota_day_end(now: datetime) -> datetime:
    """When today's quota resets (wall-clock arithmetic in Pacific time: DST-safe)."""
    return quota_day(now) + timedelta(days=1)
