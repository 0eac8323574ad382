"""What `consent list` and `consent show` display."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from consent.register import find_record
from db.models import ConsentMatch, ConsentRecord, Post
from db.states import ConsentState, FormState
from platforms import registry


class FormRow(TypedDict):
    """A form in `consent list`: the response id every `consent` command takes."""

    id: int
    response_id: str
    full_name: str | None
    state: FormState
    posts: int  # copies it is matched to (a likeness included)


def list_records(
    sessions: sessionmaker[Session], campaign_id: str, state: str | None
) -> list[FormRow]:
    """The campaign's forms (several campaigns may share the database: a form was signed
    for one of them, and its signer's name is no other campaign's to see)."""
    counts = (
        select(ConsentMatch.consent_id, func.count().label("posts"))
        .where(ConsentMatch.state != ConsentState.NONE)
        .group_by(ConsentMatch.consent_id)
        .subquery()
    )
    query = (
        select(
            ConsentRecord.id,
            ConsentRecord.response_id,
            ConsentRecord.full_name,
            ConsentRecord.state,
            func.coalesce(counts.c.posts, 0),
        )
        .outerjoin(counts, counts.c.consent_id == ConsentRecord.id)
        .where(ConsentRecord.campaign_id == campaign_id)
        .order_by(ConsentRecord.id)
    )
    if state:
        query = query.where(ConsentRecord.state == state)
    with sessions() as session:
        return [
            FormRow(id=r[0], response_id=r[1], full_name=r[2], state=r[3], posts=r[4])
            for r in session.execute(query)
        ]


def show_record(sessions: sessionmaker[Session], campaign_id: str, ident: str) -> dict[str, Any]:
    with sessions() as session:
        record = find_record(session, campaign_id, ident)  # as every command names a form
        data: dict[str, Any] = {
            c: getattr(record, c)
            for c in (
                "id",
                "response_id",
                "version",
                "state",
                "full_name",
                "age",
                "date_of_birth",
                "city",
                "country",
                "role",
                *registry.consent_fields().values(),  # the person's account on each platform
                "video_urls",
                "consent_scope",
                "expires_at",
                "guardian_name",
                "guardian_relationship",
                "guardian_signed",
                "form_version",
                "source_file",
                "source_row",
                "revoked_at",
                "revoked_by",
                "revoke_reason",
            )
        }
        data["history"] = record.history
        rows = session.execute(
            select(
                Post.id,
                Post.testimony_id,
                Post.platform,
                Post.url,
                ConsentMatch.state,
                ConsentMatch.evidence,
            )
            .join(ConsentMatch, ConsentMatch.post_id == Post.id)
            .where(ConsentMatch.consent_id == record.id)
            .order_by(Post.id)
        )
        data["posts"] = [
            {
                "post_id": r[0],
                "testimony_id": r[1],
                "platform": r[2],
                "url": r[3],
                "state": r[4],
                "by": (r[5] or {}).get("by"),
            }
            for r in rows
        ]
        return data
