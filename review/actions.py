"""Staff decisions: approve (queues one publication per target a copy can carry), reject, hold.

Approval says, copy by copy, what will go out and what will not, and why (db/copies.py):
each copy needs its own evidence naming the testimony's form; a copy that breaks a campaign
rule (too long, not a video, outside the dates) stays unless the reviewer overrides that
rule with --override --reason; a `needs-check` likeness goes out only when the reviewer
confirms it the same way. Where copies differ the reviewer may choose which go out (`copies`:
the post ids to send); a copy left out stays, recorded as the reviewer's choice, and a copy
chosen still goes out only when db/copies.py lets it. guardian-required and revoked are refused outright: no override
exists for them. Every decision keeps the consent version it relied on and its per-copy
plan, in Decision and the audit trail; publishing checks the same plan again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from db import audit
from db.copies import (
    HARD,
    CopyCheck,
    CopyPlan,
    check_copies,
    opt_in_stand_in,
    scope_refusal,
    target_refusal,
)
from db.models import ConsentRecord, Decision, Publication, Testimony
from db.outbox import queue_publications, request_takedown
from db.states import LIVE_PUBLICATION, ConsentState, ReviewState


@dataclass
class Outcome:
    testimony_id: int
    ok: bool
    message: str
    queued: list[str] = field(default_factory=list)
    # approved | approved-in-part | already-approved | refused | not-found | rejected | held
    result: str = ""
    not_queued: dict[str, str] = field(default_factory=dict)
    copies: list[CopyPlan] = field(default_factory=list)
    overridden: bool = False
    # a refusal a reviewer may override with a reason (a needs-check form, a broken rule);
    # never for guardian-required, revoked or no form (review/refusals.py reads it)
    overridable: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.testimony_id,
            "ok": self.ok,
            "result": self.result,
            "message": self.message,
            "queued": self.queued,
            "not_queued": self.not_queued,
            "copies": self.copies,
            "override": self.overridden,
            "overridable": self.overridable,
        }


def _own(session: Session, campaign_id: str, tid: int) -> Testimony | None:
    """Testimony `tid` when it is campaign `campaign_id`'s. Another campaign's is answered
    as missing: its participant signed for that campaign only, so this campaign's staff
    neither decide on it nor learn its copies, form or state (`show` answers the same)."""
    testimony = session.get(Testimony, tid)
    return testimony if testimony is not None and testimony.campaign_id == campaign_id else None


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
    copies: list[dict[str, Any]] | None = None,
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
            copies=copies or [],
            consent_id=record.id if record else None,
            consent_version=record.version if record else None,
            decided_at=now,
        )
    )
    testimony.review_state = {
        "approve": ReviewState.APPROVED,
        "reject": ReviewState.REJECTED,
        "hold": ReviewState.HELD,
    }[action]
    testimony.updated_at = now
    detail: dict[str, Any] = {
        "note": note,
        "targets": targets or [],
        "consent_state": testimony.consent_state,
    }
    if copies:
        detail["copies"] = copies  # post ids, rules and reasons: no personal data
    audit.record(
        session,
        at=now,
        actor=reviewer,
        action=f"review.{action}" + (".override" if override else ""),
        subject_type="testimony",
        subject_id=testimony.id,
        detail=detail,
        consent=record,
    )


NONE_NEXT = (
    "no consent form is tied to it. Next: find the participant's form "
    "(storydesk consent list), import the form export (storydesk consent import FILE) and "
    "run storydesk match; or reject it"
)


def _refused(
    tid: int, why: str, copies: list[CopyCheck] | None = None, overridable: bool = False
) -> Outcome:
    return Outcome(
        tid,
        False,
        f"testimony {tid}: {why}",
        result="refused",
        copies=[c.as_dict() for c in copies or []],
        overridable=overridable,
    )


def _copy_line(check: CopyCheck) -> str:
    where = f"[{check.platform}] {check.url}"
    if check.goes_out:
        extra = f" (rule overridden: {'; '.join(check.overridden)})" if check.overridden else ""
        if check.state == "opt-in":  # no form: the opt-in by reply stands in for one
            return f"  goes out: {where}, opt-in by reply {check.evidence.get('value')}{extra}"
        return f"  goes out: {where}, form {check.response_id}{extra}"
    return f"  stays:    {where}: {', '.join(check.reasons())}"


def approve(
    session: Session,
    loaded: LoadedCampaign,
    ids: list[int],
    reviewer: str,
    now: datetime,
    note: str | None = None,
    targets: list[str] | None = None,
    override_reason: str | None = None,
    copies: Collection[int] | None = None,
) -> list[Outcome]:
    """Approve each of `ids`; `copies` (post ids) limits what goes out to the copies the
    reviewer chose, None sending every copy that may go out."""
    enabled = loaded.settings.publish.enabled_targets()
    chosen = [t for t in enabled if targets is None or t in targets]
    outcomes = []
    for tid in ids:
        testimony = _own(session, loaded.id, tid)
        if testimony is None:
            outcomes.append(
                Outcome(tid, False, f"testimony {tid}: no such testimony", result="not-found")
            )
            continue
        if testimony.review_state == ReviewState.APPROVED:
            outcomes.append(
                Outcome(tid, True, f"testimony {tid}: already approved", result="already-approved")
            )
            continue
        consent = testimony.consent_state
        if consent in HARD:
            # no override exists: the words must not suggest one
            outcomes.append(_refused(tid, f"refused: consent is {consent}: {HARD[consent]}"))
            continue
        stand_in = None
        if consent == ConsentState.NONE or testimony.consent_id is None:
            # an opt-in by reply, where the campaign lets one stand in (db/copies.py decides)
            stand_in = opt_in_stand_in(session, testimony, loaded.settings)[0]
            if stand_in is None:
                outcomes.append(_refused(tid, f"refused: consent is {consent}: {NONE_NEXT}"))
                continue
        if consent != ConsentState.MATCHED and stand_in is None and override_reason is None:
            outcomes.append(
                _refused(
                    tid,
                    f"consent is {consent}, not matched; approve only with --override --reason",
                    overridable=True,
                )
            )
            continue
        record = _record(session, testimony)  # held: check_copies and the targets read it
        checks = check_copies(
            session,
            testimony,
            loaded.settings,
            use_approval=False,
            override=override_reason is not None,
            chosen=copies,
        )
        strangers = sorted(set(copies or ()) - {c.post_id for c in checks})
        if strangers:
            outcomes.append(
                _refused(
                    tid,
                    "refused: not a copy of this testimony: post "
                    + ", ".join(str(s) for s in strangers),
                )
            )
            continue
        going = [c for c in checks if c.goes_out]
        if not going:
            rules_only = [
                c for c in checks if not c.left_out and c.consent_refusal is None and c.breaks
            ]
            overridable = bool(rules_only) and override_reason is None
            hint = (
                "; approve only with --override --reason to reshare it anyway "
                "(kept in the audit trail)"
                if overridable
                else ""
            )
            stays = "; ".join(f"[{c.platform}] {', '.join(c.reasons())}" for c in checks)
            outcomes.append(
                _refused(
                    tid,
                    f"refused: no copy can go out: {stays or 'no copy'}{hint}",
                    checks,
                    overridable,
                )
            )
            continue
        not_queued: dict[str, str] = {}
        allowed: list[str] = []
        for target in chosen:
            why = scope_refusal(record, stand_in, target, now) or target_refusal(checks, target)
            if why:
                not_queued[target] = why
            else:
                allowed.append(target)
        if not allowed:
            outcomes.append(
                _refused(
                    tid,
                    "refused: no target can carry it: "
                    + "; ".join(f"{t} ({why})" for t, why in not_queued.items()),
                    checks,
                )
            )
            continue
        used_override = [c for c in checks if c.goes_out and (c.overridden or c.confirmed)]
        overriding = override_reason is not None and bool(used_override)
        said: str | None
        if overriding:
            said = f"override: {override_reason}" + (f"; {note}" if note else "")
        else:
            said = "; ".join(part for part in (override_reason, note) if part) or None
        plan = [
            {
                "post_id": c.post_id,
                "platform": c.platform,
                "goes_out": c.goes_out,
                "reasons": c.reasons(),
                "overridden": c.overridden if c.goes_out else [],
                "confirmed": c.confirmed and c.goes_out,
                "left_out": c.left_out,
            }
            for c in checks
        ]
        _decide(
            session,
            testimony,
            "approve",
            reviewer,
            said,
            now,
            override=overriding,
            targets=allowed,
            copies=plan,
        )
        queued = [p.target for p in queue_publications(session, tid, allowed, now, reviewer)]
        whole = len(going) == len(checks)  # some copies stay: in part
        result = "approved" if whole else "approved-in-part"
        verb = "approved" if whole else "approved in part"
        message = f"testimony {tid}: {verb}; queued for {', '.join(queued) or 'no target'}"
        if override_reason is not None and not overriding:
            message += " (nothing needed an override)"
        if not_queued:
            message += "; not for " + "; ".join(f"{t} ({why})" for t, why in not_queued.items())
        message += "\n" + "\n".join(_copy_line(c) for c in checks)
        outcomes.append(
            Outcome(
                tid,
                True,
                message,
                queued,
                result=result,
                not_queued=not_queued,
                copies=[c.as_dict() for c in checks],
                overridden=overriding,
            )
        )
    return outcomes


def withdraw(
    session: Session,
    ids: list[int],
    action: str,
    reviewer: str,
    note: str,
    now: datetime,
    *,
    campaign_id: str,
) -> list[Outcome]:
    """Reject or hold campaign `campaign_id`'s testimonies; anything already queued or
    published for one is taken back."""
    outcomes = []
    for tid in ids:
        testimony = _own(session, campaign_id, tid)
        if testimony is None:
            outcomes.append(
                Outcome(tid, False, f"testimony {tid}: no such testimony", result="not-found")
            )
            continue
        was = testimony.review_state
        _decide(session, testimony, action, reviewer, note, now)
        live = session.scalars(
            select(Publication.id).where(
                Publication.testimony_id == tid,
                Publication.state.in_(LIVE_PUBLICATION),
            )
        ).all()
        if live:
            request_takedown(session, [tid], f"{action}ed by {reviewer}: {note}", now, reviewer)
        verb = "rejected" if action == "reject" else "held"
        extra = f"; {len(live)} publication(s) taken back" if live else ""
        outcomes.append(Outcome(tid, True, f"testimony {tid}: {verb} (was {was}){extra}"))
    return outcomes
