"""Leases: named claims on work, shared by every host that uses the same database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class JobOutcome(Base):
    """The last outcome of each scheduled job ("publish", "compliance", "gallery", ...), so
    `status` reports what happened, not only when: a job that crashes every cycle is an alarm."""

    __tablename__ = "job_outcomes"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    # ok | failed | try-later | skipped
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    holder: Mapped[str | None] = mapped_column(String(128))
    # failed outcomes in a row (0 after a success): "failing 3 times" rather than "failed once"
    failures_in_row: Mapped[int] = mapped_column(default=0)
    last_ok_at: Mapped[datetime | None]


class AlertNotice(Base):
    """One alarm as people were told of it: sent once when raised, once when it clears.
    Also the daily digest's last sending (kind "digest")."""

    __tablename__ = "alert_notices"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    raised_sent_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    cleared_sent_at: Mapped[datetime | None]
    # why the last sending failed (the next cycle tries again)
    last_error: Mapped[str | None] = mapped_column(Text)
