"""Staff decisions and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, RedactedJSON


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id"), index=True)
    # approve | reject | hold
    action: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    override: Mapped[bool] = mapped_column(default=False)
    targets: Mapped[list[str]] = mapped_column(default=list)
    # approvals: per copy, whether it goes out and why not, and the rules a reviewer
    # overrode for it (see db/copies.py); read again when publishing
    copies: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent_records.id"))
    consent_version: Mapped[int | None]
    decided_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what, when, relying on which consent version. Rows are never changed:
    triggers refuse UPDATE and DELETE (see the first migration). Details hold ids, not
    personal data, so purging a person's data keeps the proof."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(RedactedJSON, default=dict)
    consent_id: Mapped[int | None]
    consent_version: Mapped[int | None]
