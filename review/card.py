"""Everything a reviewer needs about one testimony (`show`, and each card of `review`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.errors import WorkFailed
from db.models import ConsentRecord, Decision, Publication, Testimony
from review.queue import posts_of
from review.terminal import printable


def testimony_card(session: Session, testimony_id: int) -> dict[str, Any]:
    testimony = session.get(Testimony, testimony_id)
    if testimony is None:
        raise WorkFailed(f"no testimony {testimony_id} (see `storydesk queue`)")
    record = session.get(ConsentRecord, testimony.consent_id) if testimony.consent_id else None
    form = None
    if record is not None:
        form = {
            k: getattr(record, k)
            for k in (
                "id",
                "response_id",
                "version",
                "state",
                "full_name",
                "age",
                "city",
                "country",
                "role",
                "guardian_name",
                "guardian_relationship",
                "guardian_signed",
                "consent_scope",
                "expires_at",
                "video_file",
            )
        }
        form["expires_at"] = record.expires_at.isoformat() if record.expires_at else None
    decisions = [
        {
            "action": d.action,
            "reviewer": d.reviewer,
            "note": d.note,
            "override": d.override,
            "targets": d.targets,
            "at": d.decided_at.isoformat(),
            "consent_version": d.consent_version,
        }
        for d in session.scalars(
            select(Decision).where(Decision.testimony_id == testimony_id).order_by(Decision.id)
        )
    ]
    publications = [
        {
            "target": p.target,
            "state": p.state,
            "external_id": p.external_id,
            "external_url": p.external_url,
            "attempts": p.attempts,
            "last_error": p.last_error,
            "skip_reason": p.skip_reason,
            "takedown_reason": p.takedown_reason,
            "published_at": p.published_at.isoformat() if p.published_at else None,
        }
        for p in session.scalars(
            select(Publication)
            .where(Publication.testimony_id == testimony_id)
            .order_by(Publication.id)
        )
    ]
    posts = posts_of(session, [testimony_id]).get(testimony_id, [])
    return {
        "id": testimony.id,
        "review": testimony.review_state,
        "consent": testimony.consent_state,
        "consent_evidence": testimony.consent_evidence,
        "consent_score": testimony.consent_score,
        "role": testimony.role,
        "question": testimony.question,
        "form": form,
        "problems": sorted({p for post in posts for p in post["problems"]}),
        "posts": posts,
        "decisions": decisions,
        "publications": publications,
    }


EVIDENCE = {
    "form_code": "form code: the form came back with the code of our request",
    "video_url": "the form names this video",
    "account_id": "the form names this account",
    "account_id_renamed": "same account as a post matched by handle (renamed)",
    "handle": "the form names this handle",
    "handle_similar": "a handle on the form is similar (typo?)",
    "name_and_city": "name and city are similar to a form",
}


def card_lines(card: dict[str, Any]) -> list[str]:
    """The card as plain lines, safe for a terminal: user text is never interpreted as
    markup and its control characters are shown as U+FFFD."""
    return [printable(line) for line in _lines(card)]


def _lines(card: dict[str, Any]) -> list[str]:
    lines = [f"Testimony {card['id']}   review: {card['review']}   consent: {card['consent']}"]
    evidence = card["consent_evidence"] or {}
    if evidence:
        lines.append(
            f"  evidence: {EVIDENCE.get(evidence.get('by', ''), evidence.get('by'))}"
            f" ({evidence.get('value')})"
        )
    form = card["form"]
    if form:
        guardian = (
            f"guardian {form['guardian_name']} ({form['guardian_relationship']}), "
            f"{'signed' if form['guardian_signed'] else 'NOT signed'}"
            if form["guardian_name"]
            else "no guardian on the form"
        )
        lines.append(
            f"  form {form['response_id']} v{form['version']}: {form['full_name']}, "
            f"age {form['age'] or '?'}, {form['city'] or '?'}, {form['country'] or '?'}; "
            f"{guardian}; scope: {', '.join(form['consent_scope']) or 'none'}"
        )
    if card["role"]:
        lines.append(
            f"  role: {card['role']}"
            + (f"; answers: {card['question']}" if card["question"] else "")
        )
    lines.append("  problems: " + ("; ".join(card["problems"]) or "none"))
    for post in card["posts"]:
        duration = f"{post['duration_seconds']:.0f} s" if post["duration_seconds"] else "no video"
        lines.append(
            f"  [{post['platform']}] {post['url']}  by {post['author']}, "
            f"{(post['published_at'] or '')[:16]}, {duration}"
            + ("" if post["source_state"] == "available" else f", {post['source_state']}")
        )
    if card["posts"]:
        lines.append("  text: " + card["posts"][0]["text"].replace("\n", " "))
    for d in card["decisions"]:
        lines.append(
            f"  {d['at'][:16]} {d['action']} by {d['reviewer']}"
            + (" (override)" if d["override"] else "")
            + (f": {d['note']}" if d["note"] else "")
        )
    for p in card["publications"]:
        extra = p["external_url"] or p["external_id"] or p["skip_reason"] or p["last_error"] or ""
        lines.append(f"  → {p['target']}: {p['state']} {extra}".rstrip())
    return lines
