"""Everything a reviewer needs about one testimony (`show`, and each card of `review`)."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.errors import WorkFailed
from config.schema import LoadedCampaign
from db.copies import CopyPlan, check_copies
from db.models import ConsentMatch, ConsentRecord, Decision, Post, Publication, Testimony
from db.scope import scope_targets
from db.states import ConsentState, PublicationState, ReviewState, SourceState
from review.queue import PostRow, posts_of
from review.side_by_side import FORM_ACCOUNT, side_by_side
from review.terminal import printable

NO_SCOPE = "the consent form gives no scope: nothing can be reshared"
NEXT = {
    ConsentState.NONE: [
        "no form names this account: look for the participant's form (storydesk consent list)",
        "import the latest form export (storydesk consent import FILE), then storydesk match",
        "or reject it: storydesk reject {id} --reason TEXT",
    ],
    ConsentState.NEEDS_CHECK: [
        "compare the post and the form side by side above",
        "the same person: storydesk approve {id} --override --reason TEXT",
        "not sure: storydesk hold {id} --note TEXT; another person: storydesk reject {id}",
    ],
    ConsentState.GUARDIAN_REQUIRED: [
        "a guardian must sign the form; import the signed export, then storydesk match",
        "nothing else can approve it",
    ],
    ConsentState.REVOKED: ["the participant withdrew consent: storydesk reject {id} --reason TEXT"],
}


class DecisionRow(TypedDict):
    action: str
    reviewer: str
    note: str | None
    override: bool
    targets: list[str]
    at: str  # ISO 8601
    consent_version: int | None


class PublicationRow(TypedDict):
    target: str
    state: PublicationState
    external_id: str | None
    external_url: str | None
    attempts: int
    last_error: str | None
    skip_reason: str | None
    takedown_reason: str | None
    published_at: str | None  # ISO 8601


class Suggestion(TypedDict):
    """A link the harvester suggested between this testimony and another."""

    post_id: int
    platform: str
    testimony_id: int  # the other testimony
    by: str | None  # why (see LINKS)
    joined: bool  # whether the matcher joined them


class Card(TypedDict):
    """One testimony as a reviewer sees it (`show --json` prints it as it is)."""

    id: int
    review: ReviewState
    consent: ConsentState
    consent_evidence: dict[str, Any] | None
    consent_score: float | None
    role: str | None
    question: str | None
    form: dict[str, Any] | None  # the form's fields a reviewer compares
    problems: list[str]
    posts: list[PostRow]
    side_by_side: list[dict[str, Any]]  # {field, post, form, differs}
    scope: dict[str, Any] | None  # {words, targets, problem}
    copies: list[CopyPlan]
    suggested_links: list[Suggestion]
    next: list[str]  # what a reviewer can do next, as commands
    decisions: list[DecisionRow]
    publications: list[PublicationRow]


def testimony_card(session: Session, testimony_id: int, loaded: LoadedCampaign) -> Card:
    """The card of one of the campaign's testimonies, with each copy's verdict (goes out or
    not, and why) and the targets the form's scope allows among those the campaign enables."""
    testimony = session.get(Testimony, testimony_id)
    # Another campaign's testimony is answered as one that does not exist: its participant
    # signed for that campaign, and "it exists, but is not yours" would already say so.
    if testimony is None or testimony.campaign_id != loaded.id:
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
        DecisionRow(
            action=d.action,
            reviewer=d.reviewer,
            note=d.note,
            override=d.override,
            targets=d.targets,
            at=d.decided_at.isoformat(),
            consent_version=d.consent_version,
        )
        for d in session.scalars(
            select(Decision).where(Decision.testimony_id == testimony_id).order_by(Decision.id)
        )
    ]
    publications = [
        PublicationRow(
            target=p.target,
            state=p.state,
            external_id=p.external_id,
            external_url=p.external_url,
            attempts=p.attempts,
            last_error=p.last_error,
            skip_reason=p.skip_reason,
            takedown_reason=p.takedown_reason,
            published_at=p.published_at.isoformat() if p.published_at else None,
        )
        for p in session.scalars(
            select(Publication)
            .where(Publication.testimony_id == testimony_id)
            .order_by(Publication.id)
        )
    ]
    posts = posts_of(session, [testimony_id]).get(testimony_id, [])
    matches = {
        m.post_id: m
        for m in session.scalars(
            select(ConsentMatch).where(ConsentMatch.post_id.in_([p["post_id"] for p in posts]))
        )
    }
    handles = {
        platform: getattr(record, column) if record else None
        for platform, column in FORM_ACCOUNT.items()
    }
    today = (testimony.updated_at or testimony.created_at).date()
    full_form = (
        {**(form or {}), "date_of_birth": record.date_of_birth} if record is not None else None
    )
    compared = side_by_side(
        posts, full_form, handles, {i: dict(m.evidence or {}) for i, m in matches.items()}, today
    )
    enabled = loaded.settings.publish.enabled_targets()
    scope = None
    if record is not None:
        covered = scope_targets(record.consent_scope or [])
        scope = {
            "words": list(record.consent_scope or []),
            "targets": [t for t in (enabled or sorted(covered)) if t in covered],
            "problem": NO_SCOPE if not record.consent_scope else None,
        }
    # an approval's plan while it stands; before one (or after a hold or rejection replaced
    # it) what an approval now would do
    approved = testimony.review_state == ReviewState.APPROVED
    copies = [
        c.as_dict()
        for c in check_copies(session, testimony, loaded.settings, use_approval=approved)
    ]
    suggestions = _suggestions(session, testimony_id)
    problems = sorted({p for post in posts for p in post["problems"]})
    if scope and scope["problem"]:
        problems.append(NO_SCOPE)
    return Card(
        id=testimony.id,
        review=testimony.review_state,
        consent=testimony.consent_state,
        consent_evidence=testimony.consent_evidence,
        consent_score=testimony.consent_score,
        role=testimony.role,
        question=testimony.question,
        form=form,
        problems=problems,
        posts=posts,
        side_by_side=compared,
        scope=scope,
        copies=copies,
        suggested_links=suggestions,
        next=[line.format(id=testimony.id) for line in NEXT.get(testimony.consent_state, [])],
        decisions=decisions,
        publications=publications,
    )


def _suggestions(session: Session, testimony_id: int) -> list[Suggestion]:
    """Links the harvester suggested from this testimony's copies, or to it from another
    testimony's copy with the same words (found by fingerprint, an indexed look-up), with
    whether the matcher joined them."""
    own = session.execute(
        select(
            Post.id, Post.platform, Post.link_suggestion, Post.testimony_id, Post.fingerprint
        ).where(Post.testimony_id == testimony_id)
    ).all()
    marks = sorted({row.fingerprint for row in own if row.fingerprint})
    others: list[Any] = []
    if marks:
        others = list(
            session.execute(
                select(
                    Post.id,
                    Post.platform,
                    Post.link_suggestion,
                    Post.testimony_id,
                    Post.fingerprint,
                ).where(
                    Post.fingerprint.in_(marks),
                    Post.testimony_id != testimony_id,
                    Post.link_suggestion.is_not(None),
                )
            )
        )
    found: list[Suggestion] = []
    for post_id, platform, hint, tid, _ in [*own, *others]:
        if not isinstance(hint, dict) or not hint.get("testimony_id"):
            continue
        other = int(hint["testimony_id"])
        if tid != testimony_id and other != testimony_id:
            continue
        if tid == other:  # joined into this testimony: the copy is listed above
            continue
        found.append(
            Suggestion(
                post_id=post_id,
                platform=platform,
                testimony_id=other if tid == testimony_id else tid,
                by=hint.get("by"),
                joined=bool(hint.get("joined")),
            )
        )
    return found


EVIDENCE = {
    "form_code": "form code: the form came back with the code of our request",
    "video_url": "the form names this video",
    "account_id": "the form names this account",
    "account_id_renamed": "same account as a post matched by handle (renamed)",
    "handle": "the form names this handle",
    "handle_similar": "a handle on the form is similar (typo?)",
    "name_and_city": "name and city are similar to a form",
    "opt_in_reply": "opt-in by reply, standing in for a form (social targets only: the "
    "campaign file allows it)",
}


def evidence_text(evidence: dict[str, Any] | None) -> str | None:
    """The evidence of a consent state in words (the card's line, the review page's)."""
    if not evidence:
        return None
    by = str(evidence.get("by") or "")
    said = EVIDENCE.get(by, by)
    value = evidence.get("value")
    text = f"{said} ({value})" if value else said
    if unconfirmed := evidence.get("signer_unconfirmed"):
        text += f"; but {unconfirmed}: check who signed"
    return text


LINKS = {
    "same_words": "same words within 3 days",
    "links_to_video": "links to its video",
    "split_other_form": "they were linked before",
}


def _compared(card: Card) -> list[str]:
    """Post and form side by side; '≠' marks what differs, '-' what is not said."""
    rows = card.get("side_by_side") or []
    if not rows:
        return []
    form = card["form"]
    head = f"form {form['response_id']}" if form else "no form"
    lines = [f"  {'':<18}{'post':<32}{head}"]
    for row in rows:
        post = "-" if row["post"] is None else str(row["post"])
        said = "-" if row["form"] is None else str(row["form"])
        mark = "  ≠ differs" if row["differs"] else ""
        lines.append(f"  {row['field']:<18}{post:<32}{said}{mark}")
    return lines


def card_lines(card: Card) -> list[str]:
    """The card as plain lines, safe for a terminal: user text is never interpreted as
    markup and its control characters are shown as U+FFFD."""
    return [printable(line) for line in _lines(card)]


def _lines(card: Card) -> list[str]:
    lines = [f"Testimony {card['id']}   review: {card['review']}   consent: {card['consent']}"]
    evidence = card["consent_evidence"] or {}
    if evidence:
        lines.append(f"  evidence: {evidence_text(evidence)}")
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
    lines.extend(_compared(card))
    scope = card.get("scope")
    if scope is not None:
        lines.append(
            f"  scope: {', '.join(scope['words']) or 'none'} → "
            + (", ".join(scope["targets"]) or "no target (a problem: the form covers nothing)")
        )
    for n, copy in enumerate(card.get("copies") or [], 1):
        # numbered for the terminal review's copy choice, with the post id `approve --copy` takes
        head = f"  copy {n} [{copy['platform']}] post {copy['post_id']}"
        if copy["goes_out"]:
            said = EVIDENCE.get(copy["evidence"].get("by", ""), copy["evidence"].get("by"))
            extra = (
                f"; rule overridden: {'; '.join(copy['overridden'])}" if copy["overridden"] else ""
            )
            by = f"form {copy['form']}" if copy["form"] else f"reply {copy['evidence']['value']}"
            lines.append(f"{head} goes out: {said}, {by}{extra}")
        else:
            lines.append(f"{head} stays: {', '.join(copy['reasons'])}")
    for link in card.get("suggested_links") or []:
        why = LINKS.get(link["by"] or "", link["by"])
        state = (
            "joined: one form names both accounts"
            if link["joined"]
            else "not joined: no one form names both accounts"
        )
        if link["by"] == "split_other_form":
            state = "taken apart: another form names that account"
        lines.append(
            f"  suggested link: [{link['platform']}] may be the same testimony as "
            f"{link['testimony_id']} ({why}); {state}"
        )
    for step in card.get("next") or []:
        lines.append(f"  next: {step}")
    for post in card["posts"]:
        duration = f"{post['duration_seconds']:.0f} s" if post["duration_seconds"] else "no video"
        lines.append(
            f"  [{post['platform']}] {post['url']}  by {post['author']}, "
            f"{(post['published_at'] or '')[:16]}, {duration}"
            + ("" if post["source_state"] == SourceState.AVAILABLE else f", {post['source_state']}")
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
