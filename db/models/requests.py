"""Requests for consent: who was asked to sign the form, how, with which code, and what came
back (the signed form, an opt-in or a withdrawal by reply)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, RedactedText, StateColumn
from db.states import RequestState


class ConsentRequest(Base):
    __tablename__ = "consent_requests"
    __table_args__ = (Index(None, "campaign_id", "person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id"), index=True)
    # the copy asked (a reply goes under it); the form's code ties this copy to the form
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    # "platform:stable account id" (or handle): one request per person per campaign
    person: Mapped[str] = mapped_column(String(200))
    # goes into the form's address; the form tool exports it back in a `code` column
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # reply (storydesk posts it) | message (staff send it by hand)
    via: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[RequestState] = mapped_column(
        StateColumn(RequestState, 16), default=RequestState.UNSENT
    )
    # the outbox mark: a reply is being sent since then; a crash leaves it set and the next
    # `ask` looks for our reply on the platform before anything is sent again
    sending_since: Mapped[datetime | None]
    # replies we know are on the platform (the request and its reminders)
    sent: Mapped[int] = mapped_column(default=0)
    external_id: Mapped[str | None] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    asked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent_records.id"))
    # an answer by reply with the opt-in hashtag: an expression of intent, not a signed form
    opt_in_post_id: Mapped[str | None] = mapped_column(String(128))
    opt_in_at: Mapped[datetime | None]
    # an answer by reply with the withdrawal hashtag, from the author: the proof
    withdrawn_post_id: Mapped[str | None] = mapped_column(String(128))
    withdrawn_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(RedactedText)
