"""Staff decisions: approve (queues one publication per allowed target), reject, hold.

Approval needs consent `matched`, unless a reviewer overrides with a recorded reason.
Every decision keeps the consent record version it relied on, in Decision and the audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from db import audit
from db.models import ConsentRecord, Decision, Publication, Testimony
from db.outbox import queue_publications, request_takedown
from db.scope import refusal


@dataclass
class Outcome:
    testimony_id: int
    ok: bool
    message: str
    queued: list[str] = field(default_factory=list)


def _record(session: Session, testimony: Testimony) -> ConsentRecord | None:
    return session.get(ConsentRecord, testimony.consent_id) if testimony.consent_id else None


def _decide(
    session: Session,
    testimony: Testimony,
    action: str,
    reviewer: str,
    note: str | None,
    now: datetime,
    override: bool = False,
    targets: list[str] | None = None,
) -> None:
    record = _record(session, testimony)
    session.add(
        Decision(
            testimony_id=testimony.id,
            action=action,
            reviewer=reviewer,
            note=note,
            override=override,
            targets=targets or [],
            consent_id=record.id if record else None,
            consent_version=record.version if record else None,
            decided_at=now,
        )
    )
    testimony.review_state = {"approve": "approved", "reject": "rejected", "hold": "held"}[action]
    testimony.updated_at = now
    audit.record(
        session,
        at=now,
        actor=reviewer,
        action=f"review.{action}" + (".override" if override else ""),
        subject_type="testimony",
        subject_id=testimony.id,
        detail={"note": note, "targets": targets or [], "consent_state": testimony.consent_state},
        consent=record,
    )


def approve(
    session: Session,
    loaded: LoadedCampaign,
    ids: list[int],
    reviewer: str,
    now: datetime,
    note: str | None = None,
    targets: list[str] | None = None,
    override_reason: str | None = None,
) -> list[Outcome]:
    enabled = loaded.settings.publish.enabled_targets()
    chosen = [t for t in enabled if targets is None or t in targets]
    outcomes = []
    for tid in ids:
        testimony = session.get(Testimony, tid)
        if testimony is None:
            outcomes.append(Outcome(tid, False, f"testimony {tid}: no such testimony"))
            continue
        if testimony.review_state == "approved":
            outcomes.append(Outcome(tid, True, f"testimony {tid}: already approved"))
            continue
        if testimony.consent_state != "matched" and override_reason is None:
            outcomes.append(
                Outcome(
                    tid,
                    False,
                    f"testimony {tid}: consent is {testimony.consent_state}, "
                    "not matched; approve only with --override --reason",
                )
            )
            continue
        record = _record(session, testimony)
        allowed = [t for t in chosen if refusal(record, t, now) is None]
        refused = {t: refusal(record, t, now) for t in chosen if t not in allowed}
        # a matched testimony needs no override: the audit trail says so, keeping the reason
        overriding = override_reason is not None and testimony.consent_state != "matched"
        said: str | None
        if overriding:
            said = f"override: {override_reason}" + (f"; {note}" if note else "")
        else:
            said = "; ".join(part for part in (override_reason, note) if part) or None
        _decide(
            session,
            testimony,
            "approve",
            reviewer,
            said,
            now,
            override=overriding,
            targets=allowed,
        )
        queued = [p.target for p in queue_publications(session, tid, allowed, now, reviewer)]
        message = f"testimony {tid}: approved; queued for {', '.join(queued) or 'no target'}"
        if override_reason is not None and not overriding:
            message += " (consent is matched: no override needed)"
        if refused:
            message += "; not for " + "; ".join(f"{t} ({why})" for t, why in refused.items())
        outcomes.append(Outcome(tid, True, message, queued))
    return outcomes


def withdraw(
    session: Session, ids: list[int], action: str, reviewer: str, note: str, now: datetime
) -> list[Outcome]:
    """Reject or hold; anything already queued or published for it is taken back."""
    outcomes = []
    for tid in ids:
        testimony = session.get(Testimony, tid)
        if testimony is None:
            outcomes.append(Outcome(tid, False, f"testimony {tid}: no such testimony"))
            continue
        was = testimony.review_state
        _decide(session, testimony, action, reviewer, note, now)
        live = session.scalars(
            select(Publication.id).where(
                Publication.testimony_id == tid,
                Publication.state.in_(("queued", "failed", "in-flight", "done")),
            )
        ).all()
        if live:
            request_takedown(session, [tid], f"{action}ed by {reviewer}: {note}", now, reviewer)
        verb = "rejected" if action == "reject" else "held"
        extra = f"; {len(live)} publication(s) taken back" if live else ""
        outcomes.append(Outcome(tid, True, f"testimony {tid}: {verb} (was {was}){extra}"))
    return outcomes
