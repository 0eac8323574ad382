"""Append to the audit trail: every decision, consent change, publication and takedown.

Details hold ids and states, not personal data, so purging a person's data keeps the proof.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.models import AuditEntry, ConsentRecord


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: int | str,
    detail: dict[str, Any] | None = None,
    consent: ConsentRecord | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=detail or {},
        consent_id=consent.id if consent is not None else None,
        consent_version=consent.version if consent is not None else None,
    )
    session.add(entry)
    return entry
