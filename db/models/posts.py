"""What the harvester stores: campaigns, runs, cursors, quota, posts and testimonies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, RedactedText, StateColumn
from db.states import ConsentState, ReviewState, SourceState


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    config_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class HarvestRun(Base):
    """One collector run for one platform: what it asked, what it cost, what it found."""

    __tablename__ = "harvest_runs"
    __table_args__ = (Index(None, "campaign_id", "platform", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    platform: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(Text)
    config_hash: Mapped[str] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | ok | failed | try-later
    status: Mapped[str] = mapped_column(String(16), default="running")
    requests: Mapped[int] = mapped_column(default=0)
    quota_units: Mapped[int] = mapped_column(default=0)
    new_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    # try-later | credential | config | failed: who must act (see config.errors)
    error_kind: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(RedactedText)
    retry_at: Mapped[datetime | None]


class HarvestCursor(Base):
    """Where a platform query left off; moves only with the posts it covers."""

    __tablename__ = "harvest_cursors"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    query_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    query: Mapped[str] = mapped_column(Text)
    # since_id / published_after / a frozen instaloader NodeIterator, per platform
    position: Mapped[dict[str, Any]]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    updated_at: Mapped[datetime]


class QuotaUsage(Base):
    """Units spent per platform, credential and quota day (YouTube's day ends at midnight
    Pacific). The credential is the name of the variable holding it (db/quota.py)."""

    __tablename__ = "quota_usage"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    # '' on rows recorded before credentials were told apart (migration 0008)
    credential: Mapped[str] = mapped_column(String(128), primary_key=True, server_default="")
    day: Mapped[date] = mapped_column(primary_key=True)
    units: Mapped[int] = mapped_column(default=0)


class Testimony(Base):
    """One testimony, however many platforms carry it: reviewed once, published per target."""

    __tablename__ = "testimonies"
    __table_args__ = (
        Index(None, "campaign_id", "review_state", "priority", "id"),
        # the review queue: one review state (or all), maybe one consent state, in priority
        # order with a limit (migration 0003)
        Index(None, "review_state", "priority", "id"),
        Index(None, "review_state", "consent_state", "priority", "id"),
        Index(None, "priority", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    # none | matched | needs-check | guardian-required | revoked
    consent_state: Mapped[ConsentState] = mapped_column(
        StateColumn(ConsentState, 24), default=ConsentState.NONE
    )
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent_records.id"), index=True)
    consent_evidence: Mapped[dict[str, Any] | None]
    consent_score: Mapped[float | None]
    # pending | approved | rejected | held | source-gone (every copy deleted at its source)
    review_state: Mapped[ReviewState] = mapped_column(
        StateColumn(ReviewState, 16), default=ReviewState.PENDING
    )
    # queue order: 0 matched and no problems, 1 needs-check, 2 the rest (kept by match/rules)
    priority: Mapped[int] = mapped_column(default=2)
    role: Mapped[str | None] = mapped_column(String(32))
    question: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Post(Base):
    """A harvested post, with its provenance (where, when, by which query, raw payload)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "platform", "native_id"),
        Index(None, "platform", "author_id"),
        Index(None, "campaign_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    testimony_id: Mapped[int | None] = mapped_column(ForeignKey("testimonies.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    native_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_handle: Mapped[str | None] = mapped_column(String(128))
    author_name: Mapped[str | None] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text, default="")
    hashtags: Mapped[list[str]] = mapped_column(default=list)
    mentions: Mapped[list[str]] = mapped_column(default=list)
    links: Mapped[list[str]] = mapped_column(default=list)
    media_type: Mapped[str | None] = mapped_column(String(16))
    media_url: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float | None]
    published_at: Mapped[datetime | None]
    harvested_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # available | deleted | protected | private | suspended | withheld
    source_state: Mapped[SourceState] = mapped_column(
        StateColumn(SourceState, 16), default=SourceState.AVAILABLE
    )
    source_checked_at: Mapped[datetime | None]
    raw: Mapped[dict[str, Any] | None]
    query: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"))
    config_hash: Mapped[str | None] = mapped_column(String(64))
    edit_history: Mapped[list[Any]] = mapped_column(default=list)
    problems: Mapped[list[str]] = mapped_column(default=list)
    role: Mapped[str | None] = mapped_column(String(32))
    question: Mapped[str | None] = mapped_column(Text)
    purged_at: Mapped[datetime | None]
    # the words of the testimony without links and tags: finds the same one on another platform
    fingerprint: Mapped[str | None] = mapped_column(String(40))
    # {"testimony_id", "by", "post_id"}: a testimony this post may belong to, for the
    # reviewer only (same words, or a link to its video, without one form tying both)
    link_suggestion: Mapped[dict[str, Any] | None]
