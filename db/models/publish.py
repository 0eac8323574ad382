"""The outbox: one publication per (testimony, target)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, RedactedText, StateColumn
from db.states import PublicationState


class Publication(Base):
    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("testimony_id", "target"),
        Index(None, "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id"))
    target: Mapped[str] = mapped_column(String(16))
    # queued | in-flight | done | failed | skipped | taken-down
    state: Mapped[PublicationState] = mapped_column(
        StateColumn(PublicationState, 16), default=PublicationState.QUEUED
    )
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(256))
    external_url: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(RedactedText)
    skip_reason: Mapped[str | None] = mapped_column(RedactedText)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    takedown_requested_at: Mapped[datetime | None]
    takedown_reason: Mapped[str | None] = mapped_column(RedactedText)
    taken_down_at: Mapped[datetime | None]
