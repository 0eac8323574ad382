"""The consent register: signed forms as imported, and each post's match with evidence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, StateColumn
from db.states import ConsentState, FormState

# The mark on a column: the form export fills it (FORM), and it says who a person is
# (PERSONAL: a purge forgets it). The parser, the register and the purge read the marks.
FORM: dict[str, Any] = {"form": True}
PERSONAL: dict[str, Any] = {"form": True, "personal": True}


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    __table_args__ = (UniqueConstraint("campaign_id", "response_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    response_id: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime | None] = mapped_column(info=FORM)
    full_name: Mapped[str | None] = mapped_column(String(256), info=PERSONAL)
    age: Mapped[int | None] = mapped_column(info=PERSONAL)
    date_of_birth: Mapped[date | None] = mapped_column(info=PERSONAL)
    city: Mapped[str | None] = mapped_column(String(128), info=PERSONAL)
    country: Mapped[str | None] = mapped_column(String(128), info=PERSONAL)
    role: Mapped[str | None] = mapped_column(String(64), info=FORM)
    email: Mapped[str | None] = mapped_column(String(256), info=PERSONAL)
    x_handle: Mapped[str | None] = mapped_column(String(128), info=PERSONAL)
    youtube_channel: Mapped[str | None] = mapped_column(String(256), info=PERSONAL)
    instagram_handle: Mapped[str | None] = mapped_column(String(128), info=PERSONAL)
    facebook_profile: Mapped[str | None] = mapped_column(String(256), info=PERSONAL)
    tiktok_handle: Mapped[str | None] = mapped_column(String(128), info=PERSONAL)
    linkedin_profile: Mapped[str | None] = mapped_column(String(256), info=PERSONAL)
    bluesky_handle: Mapped[str | None] = mapped_column(String(256), info=PERSONAL)
    video_urls: Mapped[list[str]] = mapped_column(default=list, info=FORM)
    video_file: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    # agreed uses: "website", "social" or platform names; empty covers nothing
    consent_scope: Mapped[list[str]] = mapped_column(default=list, info=FORM)
    expires_at: Mapped[datetime | None] = mapped_column(info=FORM)
    guardian_name: Mapped[str | None] = mapped_column(String(256), info=PERSONAL)
    guardian_relationship: Mapped[str | None] = mapped_column(String(64), info=PERSONAL)
    guardian_signed: Mapped[bool] = mapped_column(default=False, info=FORM)
    signature: Mapped[str | None] = mapped_column(String(256), info=PERSONAL)
    form_version: Mapped[str | None] = mapped_column(String(32), info=FORM)
    # the code of our request for consent, when the form was opened from its link
    request_code: Mapped[str | None] = mapped_column(String(32), index=True, info=FORM)
    source_file: Mapped[str] = mapped_column(Text)
    source_row: Mapped[int]
    row_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime]
    state: Mapped[FormState] = mapped_column(StateColumn(FormState, 16), default=FormState.ACTIVE)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(128))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # earlier versions of this record (field values as they were), oldest first
    history: Mapped[list[Any]] = mapped_column(default=list)
    personal_data_purged_at: Mapped[datetime | None]


def form_fields() -> list[str]:
    """The columns a form export fills, in the table's order."""
    return [c.key for c in ConsentRecord.__table__.columns if c.info.get("form")]


def column_limits() -> dict[str, int]:
    """The longest value each bounded text column holds (the length of its String type),
    for the form export's columns and its response id."""
    return {
        c.key: c.type.length
        for c in ConsentRecord.__table__.columns
        if (c.info.get("form") or c.key == "response_id")
        and isinstance(c.type, String)
        and c.type.length
    }


def personal_fields() -> list[str]:
    """The columns that say who a person is: what a purge of their data forgets."""
    return [c.key for c in ConsentRecord.__table__.columns if c.info.get("personal")]


class ConsentMatch(Base):
    """Why a post got its consent state: the evidence and score that decided it."""

    __tablename__ = "consent_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), unique=True)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent_records.id"), index=True)
    state: Mapped[ConsentState] = mapped_column(StateColumn(ConsentState, 24))
    # e.g. {"by": "video_url", "value": "...", "form_field": "video_urls"}
    evidence: Mapped[dict[str, Any]]
    score: Mapped[float | None]
    matched_at: Mapped[datetime]
