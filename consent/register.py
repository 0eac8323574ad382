"""Storing forms (re-imports change nothing; updates keep history) and withdrawing consent."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from config.errors import BadInput, WorkFailed
from config.schema import LoadedCampaign
from consent.parse import Form, read_export
from db import audit
from db.models import Campaign, ConsentRecord, Testimony
from db.outbox import request_takedown
from db.session import transaction

FIELDS = [
    "submitted_at",
    "full_name",
    "age",
    "date_of_birth",
    "city",
    "country",
    "role",
    "email",
    "x_handle",
    "youtube_channel",
    "instagram_handle",
    "facebook_profile",
    "tiktok_handle",
    "linkedin_profile",
    "video_urls",
    "video_file",
    "consent_scope",
    "expires_at",
    "guardian_name",
    "guardian_relationship",
    "guardian_signed",
    "signature",
    "form_version",
]


@dataclass
class ImportReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    revoked: int = 0
    rejected: list[str] = field(default_factory=list)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def row_hash(values: dict[str, Any]) -> str:
    canonical = json.dumps({k: _plain(values.get(k)) for k in FIELDS}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def import_export(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, path: Path, now: datetime, actor: str
) -> ImportReport:
    """All good rows in one transaction; bad rows reported, never half-imported."""
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    parsed = read_export(path, loaded.settings.consent)
    report = ImportReport(rejected=list(parsed.rejected))
    with transaction(sessions) as session:
        if session.get(Campaign, loaded.id) is None:
            session.add(
                Campaign(
                    id=loaded.id,
                    name=loaded.settings.campaign.name,
                    config_hash=loaded.config_hash,
                    created_at=now,
                )
            )
            session.flush()
        for form in parsed.forms:
            rid = form.values["response_id"]
            outcome = _store(session, loaded.id, form, str(path), now, actor)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if form.revoked:
                record = _find(session, loaded.id, rid)
                if record is not None and record.state != "revoked":
                    _revoke(session, record, "revoked in the form export", actor, now)
                    report.revoked += 1
    return report


def _store(
    session: Session, campaign_id: str, form: Form, source: str, now: datetime, actor: str
) -> str:
    values = form.values
    digest = row_hash(values)
    record = session.scalar(
        select(ConsentRecord).where(
            ConsentRecord.campaign_id == campaign_id,
            ConsentRecord.response_id == values["response_id"],
        )
    )
    if record is not None and record.row_hash == digest:
        return "unchanged"
    if record is None:
        record = ConsentRecord(
            campaign_id=campaign_id, response_id=values["response_id"], version=1, history=[]
        )
        session.add(record)
        outcome = "new"
    else:
        previous = {k: _plain(getattr(record, k)) for k in FIELDS}
        previous.update(
            version=record.version,
            source_file=record.source_file,
            source_row=record.source_row,
            replaced_at=now.isoformat(),
        )
        record.history = [*record.history, previous]
        record.version += 1
        outcome = "updated"
    for key in FIELDS:
        setattr(record, key, values.get(key))
    record.source_file, record.source_row, record.row_hash = source, form.row, digest
    record.imported_at = now
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action=f"consent.{outcome}",
        subject_type="consent",
        subject_id=record.id,
        detail={"response_id": record.response_id, "row": form.row},
        consent=record,
    )
    return outcome


def _find(session: Session, campaign_id: str, ident: str) -> ConsentRecord | None:
    clauses = [ConsentRecord.response_id == ident]
    if ident.isdigit():
        clauses.append(ConsentRecord.id == int(ident))
    return session.scalar(
        select(ConsentRecord)
        .where(ConsentRecord.campaign_id == campaign_id, or_(*clauses))
        .limit(1)
    )


def find_record(session: Session, campaign_id: str, ident: str) -> ConsentRecord:
    record = _find(session, campaign_id, ident)
    if record is None:
        raise WorkFailed(f"no consent record {ident} (give its id or its response_id)")
    return record


def _revoke(session: Session, record: ConsentRecord, reason: str, actor: str, now: datetime) -> int:
    record.state, record.revoked_at, record.revoked_by = "revoked", now, actor
    record.revoke_reason = reason
    testimonies = list(session.scalars(select(Testimony).where(Testimony.consent_id == record.id)))
    for testimony in testimonies:
        testimony.consent_state, testimony.priority, testimony.updated_at = "revoked", 2, now
    request_takedown(
        session, [t.id for t in testimonies], f"consent withdrawn: {reason}", now, actor
    )
    audit.record(
        session,
        at=now,
        actor=actor,
        action="consent.revoked",
        subject_type="consent",
        subject_id=record.id,
        detail={"reason": reason, "testimonies": [t.id for t in testimonies]},
        consent=record,
    )
    return len(testimonies)


def revoke(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    ident: str,
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[ConsentRecord, int]:
    with transaction(sessions) as session:
        record = find_record(session, loaded.id, ident)
        if record.state == "revoked":
            raise WorkFailed(
                f"consent {record.response_id} was already revoked on "
                f"{record.revoked_at:%Y-%m-%d} by {record.revoked_by}"
            )
        count = _revoke(session, record, reason, actor, now)
        return record, count
