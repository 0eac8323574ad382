"""Which copies of a testimony may be reshared, and why the others may not.

Consent belongs to a copy, not to a group: a testimony links copies so that staff review
it once, but a copy goes out only with its own direct evidence (its consent_matches row:
state `matched`, naming the very form the testimony relies on) and only when it keeps the
campaign rules (length, a video, within the dates) or a reviewer overrode the rule it
breaks, with a reason. A copy whose evidence is only a likeness (`needs-check`) goes out
only when the approving reviewer confirmed it with --override --reason. guardian-required
and revoked are never overridden. An opt-in by reply (the poster answered our request with
the campaign's hashtag) is intent, not a form: it stands in for one only when the campaign
file says so (consent.request.opt_in_as_consent = "social"), only for the copy it answered
and the social targets, and never for a minor, nor for anyone whose age nothing says
(`opt_in_stand_in`). Approval (review/actions.py), publishing
(publisher/jobs.py) and the card (review/card.py) all ask here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import Campaign
from db.models import ConsentMatch, ConsentRecord, Decision, Post, Testimony
from db.scope import refusal, scope_targets
from db.states import ConsentState, FormState, RequestState, SourceState
from platforms import registry

HARD = {
    ConsentState.GUARDIAN_REQUIRED: "the participant is under the age of consent and no guardian has "
    "signed the form; only a guardian's signature on the form can change this",
    ConsentState.REVOKED: "the participant withdrew consent",
}
LEFT_OUT = "the reviewer chose not to send this copy"

# a copy's own consent: its match's state, or an opt-in by reply standing in for a form
CopyConsent = ConsentState | Literal["opt-in"]


class CopyPlan(TypedDict):
    """A copy as the card, `approve --json` and the review page show it: whether it goes
    out, and if not, why."""

    post_id: int
    platform: str
    native_id: str
    url: str
    author: str | None
    consent: CopyConsent
    form: str | None  # the response id of the form its evidence names
    evidence: dict[str, Any]
    breaks: list[str]
    overridden: list[str]
    confirmed: bool
    left_out: bool
    goes_out: bool
    reasons: list[str]


@dataclass
class CopyCheck:
    """One copy, the form its own evidence names, and what stands in its way."""

    post_id: int
    platform: str
    native_id: str
    url: str
    author: str | None
    state: CopyConsent  # its own
    form_id: int | None  # the form its own evidence names
    response_id: str | None
    evidence: dict[str, Any]
    breaks: list[str]  # campaign rules it breaks
    consent_refusal: str | None  # why its consent does not let it out, None when it does
    overridden: list[str] = field(default_factory=list)  # breaks a reviewer overrode
    confirmed: bool = False  # a reviewer confirmed a needs-check likeness
    available: bool = True  # still there at its source
    left_out: bool = False  # the approving reviewer chose not to send this copy

    @property
    def goes_out(self) -> bool:
        return not self.left_out and self.consent_refusal is None and not self.unforgiven

    @property
    def unforgiven(self) -> list[str]:
        return [b for b in self.breaks if b not in self.overridden]

    def reasons(self) -> list[str]:
        chosen = [LEFT_OUT] if self.left_out else []
        return chosen + ([self.consent_refusal] if self.consent_refusal else []) + self.unforgiven

    def as_dict(self) -> CopyPlan:
        return CopyPlan(
            post_id=self.post_id,
            platform=self.platform,
            native_id=self.native_id,
            url=self.url,
            author=self.author,
            consent=self.state,
            form=self.response_id,
            evidence=self.evidence,
            breaks=self.breaks,
            overridden=self.overridden,
            confirmed=self.confirmed,
            left_out=self.left_out,
            goes_out=self.goes_out,
            reasons=self.reasons(),
        )


def rule_breaks(post: Post, campaign: Campaign) -> list[str]:
    """The campaign rules this copy breaks that stop a reshare (the same tests as
    harvester/rules.py, against today's campaign file: a rule changed since the harvest
    counts). A missing hashtag or mention is shown to the reviewer but stops nothing."""
    rules, dates = campaign.rules, campaign.campaign
    found: list[str] = []
    if rules.require_video and post.media_type != "video":
        found.append("not a video")
    if post.duration_seconds is not None and post.duration_seconds > rules.max_video_seconds:
        found.append(f"{post.duration_seconds:.0f} s, over the {rules.max_video_seconds} s limit")
    if post.published_at is not None:
        day = post.published_at.astimezone(UTC).date()
        if day < dates.start:
            found.append(f"posted {day.isoformat()}, before the campaign")
        elif dates.end is not None and day > dates.end:
            found.append(f"posted {day.isoformat()}, after the campaign")
    return found


def latest_approval(session: Session, testimony_id: int) -> Decision | None:
    return session.scalar(
        select(Decision)
        .where(Decision.testimony_id == testimony_id, Decision.action == "approve")
        .order_by(Decision.id.desc())
        .limit(1)
    )


def check_copies(
    session: Session,
    testimony: Testimony,
    campaign: Campaign,
    approval: Decision | None = None,
    use_approval: bool = True,
    override: bool = False,
    chosen: Collection[int] | None = None,
) -> list[CopyCheck]:
    """Every copy of `testimony`, judged against the form the testimony relies on. The
    overrides, confirmations and copies left out are those of `approval` (default: the
    latest approval; none when use_approval is False, as before a decision). `override`
    judges them as an approval with --override would leave them: every rule a copy breaks
    overridden, a needs-check likeness naming the testimony's form confirmed; consent a copy
    lacks (another form, none, revoked, a minor) stays refused whatever is said. `chosen`
    (post ids) is the reviewer's pick before a decision: every other copy is left out; a
    copy chosen still goes out only when its own evidence and the rules let it."""
    if use_approval and approval is None:
        approval = latest_approval(session, testimony.id)
    granted = {
        int(entry["post_id"]): entry
        for entry in ((approval.copies or []) if approval is not None else [])
        if isinstance(entry, dict) and "post_id" in entry
    }
    form = session.get(ConsentRecord, testimony.consent_id) if testimony.consent_id else None
    rows = session.execute(
        select(Post, ConsentMatch, ConsentRecord.response_id)
        .outerjoin(ConsentMatch, ConsentMatch.post_id == Post.id)
        .outerjoin(ConsentRecord, ConsentRecord.id == ConsentMatch.consent_id)
        .where(Post.testimony_id == testimony.id)
        .order_by(Post.published_at, Post.id)
    ).all()
    stand_in = opt_in_stand_in(session, testimony, campaign)[0] if form is None else None
    checks = []
    for post, match, response_id in rows:
        entry = granted.get(post.id, {})
        left_out = bool(entry.get("left_out")) or (chosen is not None and post.id not in chosen)
        breaks = rule_breaks(post, campaign)
        if override:
            entry = {
                "overridden": breaks,
                "confirmed": match is not None
                and match.state == ConsentState.NEEDS_CHECK
                and match.consent_id == testimony.consent_id,
            }
        check = CopyCheck(
            post_id=post.id,
            platform=post.platform,
            native_id=post.native_id,
            url=post.url,
            author=post.author_handle or post.author_name,
            state=match.state if match else ConsentState.NONE,
            form_id=match.consent_id if match else None,
            response_id=response_id,
            evidence=dict(match.evidence or {}) if match else {},
            breaks=breaks,
            consent_refusal=None,
            overridden=[b for b in breaks if b in (entry.get("overridden") or [])],
            confirmed=bool(entry.get("confirmed")),
            available=post.source_state == SourceState.AVAILABLE,
            left_out=left_out,
        )
        check.consent_refusal = _consent_refusal(post, match, form, check.confirmed)
        if check.consent_refusal is None and (withdrawn := _claimant_withdrawn(session, match)):
            check.consent_refusal = (
                f"{HARD[ConsentState.REVOKED]} (form {withdrawn}, which also names this account)"
            )
        match_form = match.consent_id if match is not None else None
        if stand_in is not None and post.id == stand_in.post_id and match_form is None:
            if post.source_state == SourceState.AVAILABLE:
                check.consent_refusal = None
            check.state, check.evidence = "opt-in", stand_in.evidence()
        if check.consent_refusal is None and _approved_for_another_form(approval, testimony):
            check.consent_refusal = (
                "it was approved on another form than the one it now relies on: review it again"
            )
        if testimony.campaign_id != campaign.campaign.id:  # a form is signed for one campaign
            check.consent_refusal = (
                f"it is campaign {testimony.campaign_id}'s testimony: its consent covers that "
                f"campaign, not {campaign.campaign.id}"
            )
        checks.append(check)
    return checks


@dataclass(frozen=True)
class StandIn:
    """An opt-in by reply the campaign lets stand in for a form (social targets only)."""

    request_id: int
    post_id: int  # the copy our request answered, whose author replied with the hashtag
    reply: str  # the reply's id on the platform: the proof
    at: datetime | None

    def evidence(self) -> dict[str, Any]:
        at = self.at.isoformat(timespec="seconds") if self.at else None
        return {"by": "opt_in_reply", "value": self.reply, "at": at}


OPT_IN_SCOPE = ["social"]


def opt_in_stand_in(
    session: Session, testimony: Testimony, campaign: Campaign
) -> tuple[StandIn | None, str | None]:
    """(the opt-in standing in for a form, None) or (None, why it does not). Conservative on
    purpose: a form tied to the testimony always rules instead; a form matched to any of its
    copies, or any of its posts, saying the person is under the campaign's age without a
    guardian, or nothing saying an age at all, and no opt-in stands in."""
    from db.models import ConsentRequest
    from db.spoken import spoken_ages

    request = campaign.consent.request
    if request is None or request.opt_in_as_consent != "social":
        return None, "the campaign file does not let an opt-in by reply stand in for a form"
    if testimony.consent_id is not None or testimony.consent_state != ConsentState.NONE:
        return None, f"consent is {testimony.consent_state}: the form rules"
    row = session.scalars(
        select(ConsentRequest)
        .where(
            ConsentRequest.testimony_id == testimony.id,
            ConsentRequest.opt_in_post_id.is_not(None),
            ConsentRequest.state != RequestState.WITHDRAWN,
        )
        .order_by(ConsentRequest.id)
        .limit(1)
    ).first()
    if row is None or row.opt_in_post_id is None:
        return None, "no opt-in by reply"
    minimum = campaign.rules.minimum_age_without_guardian
    forms = session.execute(
        select(ConsentRecord.age, ConsentRecord.date_of_birth, ConsentRecord.guardian_name)
        .join(ConsentMatch, ConsentMatch.consent_id == ConsentRecord.id)
        .join(Post, Post.id == ConsentMatch.post_id)
        .where(Post.testimony_id == testimony.id)
    ).all()
    today = (testimony.updated_at or testimony.created_at).date()
    for age, born, guardian in forms:
        if born is not None:  # an age and a birth date that disagree: the younger
            years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            age = years if age is None else min(age, years)
        if guardian or (age is not None and age < minimum):
            return None, "a form says the person is a minor: only a signed form can do"
    texts = session.scalars(select(Post.text).where(Post.testimony_id == testimony.id)).all()
    ages = set().union(*(spoken_ages(t or "") for t in texts)) if texts else set()
    if not ages:
        return None, "nothing says the person's age: an opt-in never stands in for a minor"
    if min(ages) < minimum:
        return None, f"the post says the person is {min(ages)}: a minor needs a signed form"
    return StandIn(row.id, row.post_id, row.opt_in_post_id, row.opt_in_at), None


def scope_refusal(
    record: ConsentRecord | None, stand_in: StandIn | None, target: str, now: datetime
) -> str | None:
    """Why the form (or the opt-in standing in for one) does not allow `target` now."""
    if record is None and stand_in is not None:
        if target in scope_targets(OPT_IN_SCOPE):
            return None
        return f"an opt-in by reply stands in for the 'social' scope only, not {target}"
    return refusal(record, target, now)


def _approved_for_another_form(approval: Decision | None, testimony: Testimony) -> bool:
    """A reviewer compared the video with one person's form; a match that has since tied
    the testimony to another form (consent/reopen.py) needs a new look."""
    return (
        approval is not None
        and approval.consent_id is not None
        and approval.consent_id != testimony.consent_id
    )


def _claimant_withdrawn(session: Session, match: ConsentMatch | None) -> str | None:
    """The response id of a revoked form among the others that name this copy's account or
    video (also_on_forms), as they stand now: one withdrawn since the match (`consent
    revoke`) may be the account's owner, and the likeness a reviewer confirmed was another's."""
    if match is None:
        return None
    others = (match.evidence or {}).get("also_on_forms")
    if not others or not isinstance(others, list):
        return None
    campaign = select(Post.campaign_id).where(Post.id == match.post_id).scalar_subquery()
    return session.scalar(
        select(ConsentRecord.response_id)
        .where(
            ConsentRecord.campaign_id == campaign,  # type: ignore[arg-type]
            ConsentRecord.response_id.in_([str(o) for o in others]),
            ConsentRecord.state == FormState.REVOKED,
        )
        .order_by(ConsentRecord.id)
        .limit(1)
    )


def _consent_refusal(
    post: Post, match: ConsentMatch | None, form: ConsentRecord | None, confirmed: bool
) -> str | None:
    if post.source_state != SourceState.AVAILABLE:
        return f"the post is {post.source_state} on {post.platform}"
    if form is None:
        return "no consent form is tied to this testimony"
    if form.state == FormState.REVOKED:
        return HARD[ConsentState.REVOKED]
    if match is None or match.consent_id is None:
        return "nothing ties this account to a consent form (consent none)"
    if match.consent_id != form.id:
        named = (match.evidence or {}).get("response_id") or f"#{match.consent_id}"
        return f"its own evidence names another form ({named}), not {form.response_id}"
    if match.state in HARD:
        return HARD[match.state]
    if match.state == ConsentState.NEEDS_CHECK and not confirmed:
        return "its evidence is only a likeness (needs-check): a reviewer must confirm it"
    if match.state not in (ConsentState.MATCHED, ConsentState.NEEDS_CHECK):
        return f"consent is {match.state}"
    return None


def target_refusal(checks: list[CopyCheck], target: str) -> str | None:
    """Why no copy can carry `target`, or None: a target that reshares the participant's own
    post (X, YouTube, Bluesky: the registry says) needs that very copy to go out; the other
    targets link to or describe a copy that goes out (the video file comes from the form)."""
    platform = registry.get(target)
    if platform.reshares_own_post:
        name = platform.label
        own = [c for c in checks if c.platform == target]
        if not own:
            return f"no copy on {name}"
        if not any(c.goes_out for c in own):
            return f"the {name} copy does not go out: " + "; ".join(own[0].reasons())
        return None
    if not checks:
        return "no copy"
    if not any(c.goes_out for c in checks):
        return "no copy goes out: " + "; ".join(
            f"{c.platform} {'; '.join(c.reasons())}" for c in checks
        )
    return None


def reshareable(checks: list[CopyCheck]) -> list[CopyCheck]:
    return [c for c in checks if c.goes_out]
