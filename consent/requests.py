"""Asking a poster for consent: the request, its code, sending it once, and what came back.

`storydesk ask` (a staff command, never a sweep: X's automation rules forbid automated
replies to people who did not ask to be contacted) builds a request from the campaign's
[consent.request] template: a text in the post's language and the form's address carrying
a code of its own. Where the campaign account may answer the post (consent/replies.py) the
request is posted as a reply through an outbox: the request is recorded as sending, with
its code, before the call and settled after it; a crash in between is reconciled by
looking for our reply (it carries the code), never by replying again. Elsewhere the text is
printed for staff to send by hand, and recorded as asked.

One request per person per campaign (a reminder only with `again`), and never more than
`per_hour` of the campaign's requests in any 60 minutes. A form that comes back with the code is matched to
the asked copy by the code alone (consent/matching.py). Answers by reply are read by
`watch_answers`: the opt-in hashtag is recorded as intent (never as a signed form), the
withdrawal hashtag from the post's author withdraws consent like `consent revoke`.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.errors import ConfigError, Refused, StorydeskError, Transient, TryLater
from config.schema import ConsentRequestSettings, LoadedCampaign, parse_duration
from consent.replies import Repliers
from db import audit
from db.models import AuditEntry, ConsentRecord, ConsentRequest, Post, Testimony
from db.outbox import request_takedown
from db.session import transaction
from db.states import ConsentState, FormState, RequestState, SourceState

SENT = "consent.request-sent"  # one audit entry per request sent: what the hourly cap counts
CODE_ALPHABET = string.ascii_lowercase + string.digits
# a post kept past the retention period with no form behind it keeps only its ids and URL
PURGED = (
    "its post was purged (no form came within compliance.purge_unmatched_after_days): "
    "nothing is left to ask from"
)


@dataclass
class Asked:
    testimony_id: int
    outcome: str  # replied | message | skipped | failed | later | would-reply | would-message
    detail: str = ""
    code: str | None = None
    text: str | None = None
    url: str | None = None


@dataclass
class AskSummary:
    asked: list[Asked] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)
    retry_at: datetime | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for a in self.asked if a.outcome == outcome)


def request_settings(loaded: LoadedCampaign) -> ConsentRequestSettings:
    settings = loaded.settings.consent.request
    if settings is None:
        raise ConfigError(
            f"{loaded.path}: [consent.request] is not set: give the form's address "
            "(form_url, with {code}) and the request's text per language (text.en, with {link})"
        )
    return settings


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


def form_link(settings: ConsentRequestSettings, code: str) -> str:
    return settings.form_url.format(code=code)


def render(settings: ConsentRequestSettings, post: Post, code: str) -> tuple[str, str]:
    """(language, text) of the request for this post."""
    raw = post.raw or {}
    lang = str(raw.get("lang") or "") if isinstance(raw, dict) else ""
    language = lang if lang in settings.text else settings.default_language
    name = (post.author_name or "").split()
    first = name[0] if name else (post.author_handle or "")
    text = settings.text[language].format(
        first_name=first, handle=post.author_handle or "", link=form_link(settings, code)
    )
    return language, text


def person_of(post: Post) -> str:
    who = post.author_id or (post.author_handle or "").lower().lstrip("@") or post.url
    return f"{post.platform}:{who}"[:200]


def _sent_in_campaign(campaign_id: str, since: datetime) -> Any:
    """This campaign's sends since `since`: the audit entries of its own requests (the cap
    is the campaign's; another campaign's requests never use it up)."""
    own = select(cast(ConsentRequest.id, String)).where(ConsentRequest.campaign_id == campaign_id)
    return (
        AuditEntry.action == SENT,
        AuditEntry.at > since,
        AuditEntry.subject_type == "consent-request",
        AuditEntry.subject_id.in_(own),
    )


def sent_within_hour(session: Session, campaign_id: str, now: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(AuditEntry.id)).where(
                *_sent_in_campaign(campaign_id, now - timedelta(hours=1))
            )
        )
        or 0
    )


def _next_slot(session: Session, campaign_id: str, now: datetime) -> datetime:
    oldest = session.scalar(
        select(func.min(AuditEntry.at)).where(
            *_sent_in_campaign(campaign_id, now - timedelta(hours=1))
        )
    )
    return (oldest or now) + timedelta(hours=1)


def ask(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    testimony_ids: list[int],
    actor: str,
    via: str | None = None,
    again: bool = False,
    dry_run: bool = False,
    repliers: Repliers | None = None,
) -> AskSummary:
    settings = request_settings(loaded)
    repliers = repliers or Repliers(loaded, clock.now)
    summary = AskSummary()
    if not dry_run:
        reconcile(sessions, loaded, clock, repliers, summary)
        expire_due(sessions, loaded, clock.now())
    stop: str | None = None
    for tid in dict.fromkeys(testimony_ids):  # each once, in the order given
        if stop is not None:
            summary.asked.append(Asked(tid, "later", stop))
            continue
        try:
            done = _ask_one(
                sessions, loaded, settings, clock, repliers, tid, actor, via, again, dry_run
            )
        except TryLater as exc:
            stop = exc.message
            summary.retry_at = exc.retry_at
            summary.asked.append(Asked(tid, "later", stop))
            continue
        summary.asked.append(done)
        if done.outcome == "later":
            stop = done.detail
            with sessions() as session:
                summary.retry_at = _next_slot(session, loaded.id, clock.now())
    return summary


def _choose(repliers: Repliers, posts: list[Post], via: str | None) -> tuple[Post | None, str, str]:
    """(copy, how, why not by reply): the copy to ask under, and 'reply' or 'message'."""
    why = "no copy of this testimony is still online"
    if via != "message":
        from platforms.registry import names

        reasons = []
        replying = names("reply")  # the registry says where the campaign may answer a post
        for platform in replying:
            for post in posts:
                if post.platform != platform:
                    continue
                replier = repliers.get(platform)
                if replier is None:
                    reasons.append(repliers.why_not(platform))
                    continue
                reason = replier.why_not(list(post.mentions or []))
                if reason is None:
                    return post, "reply", ""
                reasons.append(f"{platform}: {reason}")
        others = [p.platform for p in posts if p.platform not in replying]
        reasons += [repliers.why_not(p) for p in dict.fromkeys(others)]
        why = "; ".join(dict.fromkeys(reasons)) or why
        if via == "reply":
            return None, "reply", why
    return (posts[0] if posts else None), "message", why


def _ask_one(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    settings: ConsentRequestSettings,
    clock: Clock,
    repliers: Repliers,
    tid: int,
    actor: str,
    via: str | None,
    again: bool,
    dry_run: bool,
) -> Asked:
    now = clock.now()
    with transaction(sessions) as session:
        testimony = session.get(Testimony, tid)
        if testimony is None or testimony.campaign_id != loaded.id:
            return Asked(tid, "failed", f"no testimony {tid} in this campaign")
        if testimony.consent_state == ConsentState.MATCHED:
            return Asked(tid, "skipped", "a signed form covers it already (consent: matched)")
        if testimony.consent_state == ConsentState.REVOKED:
            return Asked(tid, "skipped", "consent was withdrawn: storydesk never asks again")
        posts = list(
            session.scalars(
                select(Post)
                .where(Post.testimony_id == tid, Post.source_state == SourceState.AVAILABLE)
                .order_by(Post.id)
            )
        )
        if posts and all(p.purged_at is not None for p in posts):
            return Asked(tid, "skipped", PURGED)
        post, how, why = _choose(repliers, [p for p in posts if p.purged_at is None], via)
        if post is None:
            return Asked(tid, "skipped", f"cannot reply: {why}; use --via message")
        request = _existing(session, loaded.id, tid, person_of(post))
        if request is not None and request.state != RequestState.UNSENT:
            if request.state == RequestState.WITHDRAWN:
                return Asked(tid, "skipped", "the poster withdrew by reply: never asked again")
            if not again:
                when = f"{request.asked_at:%Y-%m-%d %H:%M}" if request.asked_at else "earlier"
                return Asked(
                    tid,
                    "skipped",
                    f"already asked on {when} by {request.via} (request {request.id}, "
                    f"{request.state}); --again sends a reminder",
                    request.code,
                )
        if request is not None:  # a reminder (or a send that never went out) keeps its copy
            post = session.get_one(Post, request.post_id)
            if post.purged_at is not None:
                return Asked(tid, "skipped", PURGED)
            how = request.via
        if sent_within_hour(session, loaded.id, now) >= settings.per_hour:
            slot = _next_slot(session, loaded.id, now)
            return Asked(
                tid,
                "later",
                f"{settings.per_hour} requests in the last hour (consent.request.per_hour); "
                f"the next may go at {slot:%H:%M} UTC",
            )
        code = request.code if request is not None else new_code()
        language, text = render(settings, post, code)
        if request is not None and request.via == "reply" and request.state != RequestState.UNSENT:
            text = request.text  # a reminder repeats the request
        replier = repliers.get(post.platform) if how == "reply" else None
        if replier is not None:
            replier.check_text(text)
        if dry_run:
            outcome = "would-reply" if how == "reply" else "would-message"
            return Asked(tid, outcome, why if how == "message" else "", code, text, post.url)
        if request is None:
            request = ConsentRequest(
                campaign_id=loaded.id,
                testimony_id=tid,
                post_id=post.id,
                platform=post.platform,
                person=person_of(post),
                code=code,
                via=how,
                language=language,
                text=text,
                state=RequestState.UNSENT,
                sent=0,
                actor=actor,
                created_at=now,
                updated_at=now,
            )
            session.add(request)
            session.flush()
        request.updated_at = now
        audit.record(
            session,
            at=now,
            actor=actor,
            action=SENT,
            subject_type="consent-request",
            subject_id=request.id,
            detail={"testimony_id": tid, "via": how, "platform": post.platform, "code": code},
        )
        if how == "message":
            _settle(request, now, None)
            return Asked(tid, "message", why, code, text, post.url)
        request.sending_since = now  # the outbox mark, committed before the call
        request_id, native_id, author_id = request.id, post.native_id, post.author_id
    assert replier is not None
    try:
        external = replier.reply(native_id, text, author_id)
    except StorydeskError as exc:
        with transaction(sessions) as session:
            row = session.get_one(ConsentRequest, request_id)
            row.last_error, row.updated_at = exc.message, clock.now()
            if not isinstance(exc, Transient):
                # a definite no (refused, rate limited, keys rejected): nothing was posted.
                # A 5xx or a broken connection may have posted it: the mark stays, and the
                # next `ask` looks for our reply before sending anything.
                row.sending_since = None
        if isinstance(exc, Refused):
            return Asked(tid, "failed", exc.message, code)
        raise
    with transaction(sessions) as session:
        _settle(session.get_one(ConsentRequest, request_id), clock.now(), external)
    return Asked(tid, "replied", f"reply {external}", code, text, post.url)


def _existing(session: Session, campaign_id: str, tid: int, person: str) -> ConsentRequest | None:
    """This testimony's request, or this person's: one request per person per campaign."""
    rows = session.scalars(
        select(ConsentRequest)
        .where(
            ConsentRequest.campaign_id == campaign_id,
            (ConsentRequest.testimony_id == tid) | (ConsentRequest.person == person),
        )
        .order_by(ConsentRequest.id)
    ).all()
    return rows[0] if rows else None


def _settle(request: ConsentRequest, now: datetime, external: str | None) -> None:
    request.sent += 1
    request.sending_since = None
    request.last_error = None
    request.external_id = external or request.external_id
    request.updated_at = now
    if request.asked_at is None:
        request.asked_at = now
    if request.state in (RequestState.UNSENT, RequestState.EXPIRED):
        request.state = RequestState.ASKED if request.sent == 1 else RequestState.REMINDED
    elif request.state == RequestState.ASKED:
        request.state = RequestState.REMINDED


def reconcile(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    repliers: Repliers,
    summary: AskSummary,
) -> None:
    """Requests a crashed run left sending: is our reply on the platform? (it carries the
    code). Found: recorded as sent. Not found: recorded as not sent, for `ask` to send."""
    with sessions() as session:
        pending = session.execute(
            select(ConsentRequest.id, ConsentRequest.platform, ConsentRequest.code, Post.native_id)
            .join(Post, Post.id == ConsentRequest.post_id)
            .where(
                ConsentRequest.campaign_id == loaded.id,
                ConsentRequest.sending_since.is_not(None),
            )
        ).all()
    for request_id, platform, code, native_id in pending:
        replier = repliers.get(platform)
        if replier is None:
            continue
        ours = replier.ours_with(native_id, code)
        with transaction(sessions) as session:
            row = session.get_one(ConsentRequest, request_id)
            if len(ours) > row.sent:
                _settle(row, clock.now(), ours[0])
                summary.reconciled.append(
                    f"request {row.id} (testimony {row.testimony_id}): our reply {ours[0]} "
                    "was made before an interruption; recorded"
                )
            else:
                row.sending_since, row.updated_at = None, clock.now()
                summary.reconciled.append(
                    f"request {row.id} (testimony {row.testimony_id}): not sent before an "
                    "interruption; `ask` sends it"
                )


def expire_due(sessions: sessionmaker[Session], loaded: LoadedCampaign, now: datetime) -> int:
    settings = loaded.settings.consent.request
    if settings is None:
        return 0
    limit = now - parse_duration(settings.expire_after)
    with transaction(sessions) as session:
        rows = session.scalars(
            select(ConsentRequest).where(
                ConsentRequest.campaign_id == loaded.id,
                ConsentRequest.state.in_((RequestState.ASKED, RequestState.REMINDED)),
                ConsentRequest.updated_at < limit,
            )
        ).all()
        for row in rows:
            row.state, row.updated_at = RequestState.EXPIRED, now
        return len(rows)


class RequestRow(TypedDict):
    """A request for consent in `consent requests` (times in ISO 8601)."""

    id: int
    testimony_id: int
    platform: str
    url: str
    via: str  # reply or message
    state: str  # unsent, asked, answered, expired, withdrawn... "(sending)" while it is
    code: str
    link: str | None  # the form's address with this request's code
    asked_at: str | None
    sent: int
    reply_id: str | None
    answered_at: str | None
    consent_id: str | None  # the response id of the form that came back
    opt_in_post_id: str | None
    opt_in_at: str | None
    withdrawn_post_id: str | None
    withdrawn_at: str | None
    text: str


def list_requests(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, now: datetime, state: str | None
) -> list[RequestRow]:
    expire_due(sessions, loaded, now)
    settings = loaded.settings.consent.request
    with sessions() as session:
        query = (
            select(ConsentRequest, Post.url, ConsentRecord.response_id)
            .join(Post, Post.id == ConsentRequest.post_id)
            .outerjoin(ConsentRecord, ConsentRecord.id == ConsentRequest.consent_id)
            .where(ConsentRequest.campaign_id == loaded.id)
            .order_by(ConsentRequest.id)
        )
        if state is not None:
            query = query.where(ConsentRequest.state == state)
        return [
            RequestRow(
                id=r.id,
                testimony_id=r.testimony_id,
                platform=r.platform,
                url=url,
                via=r.via,
                state=r.state + (" (sending)" if r.sending_since else ""),
                code=r.code,
                link=form_link(settings, r.code) if settings else None,
                asked_at=r.asked_at.isoformat() if r.asked_at else None,
                sent=r.sent,
                reply_id=r.external_id,
                answered_at=r.answered_at.isoformat() if r.answered_at else None,
                consent_id=response_id,
                opt_in_post_id=r.opt_in_post_id,
                opt_in_at=r.opt_in_at.isoformat() if r.opt_in_at else None,
                withdrawn_post_id=r.withdrawn_post_id,
                withdrawn_at=r.withdrawn_at.isoformat() if r.withdrawn_at else None,
                text=r.text,
            )
            for r, url, response_id in session.execute(query)
        ]


def mark_answered(session: Session, campaign_id: str, now: datetime) -> int:
    """Requests whose code came back on a signed form: answered, with that form."""
    waiting = (ConsentRequest.campaign_id == campaign_id, ConsentRequest.consent_id.is_(None))
    # without a request waiting, nothing to look for: SQLite, knowing no table's size, reads
    # every form of the campaign for the join below (0.12 s of each match at 100k forms)
    if session.scalar(select(ConsentRequest.id).where(*waiting).limit(1)) is None:
        return 0
    rows = session.execute(
        select(ConsentRequest, ConsentRecord.id)
        .join(ConsentRecord, ConsentRecord.request_code == ConsentRequest.code)
        .where(*waiting, ConsentRecord.campaign_id == campaign_id)
    ).all()
    for request, consent_id in rows:
        request.consent_id, request.answered_at, request.updated_at = consent_id, now, now
        if request.state != RequestState.WITHDRAWN:
            request.state = RequestState.ANSWERED
    return len(rows)


HASHTAG = re.compile(r"#(\w+)")


@dataclass
class WatchSummary:
    opt_ins: list[str] = field(default_factory=list)
    withdrawals: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def watch_answers(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    actor: str = "answers",
    repliers: Repliers | None = None,
) -> WatchSummary:
    """Read the threads under the posts we asked by reply. Reading asks nobody anything, so
    this may run unattended (cron, daemon)."""
    settings = request_settings(loaded)
    repliers = repliers or Repliers(loaded, clock.now)
    yes = settings.opt_in_hashtag.lstrip("#").lower()
    no = settings.withdraw_hashtag.lstrip("#").lower()
    summary = WatchSummary()
    with sessions() as session:
        watched = session.execute(
            select(
                ConsentRequest.id,
                ConsentRequest.platform,
                Post.native_id,
                Post.author_id,
                ConsentRequest.external_id,
            )
            .join(Post, Post.id == ConsentRequest.post_id)
            .where(
                ConsentRequest.campaign_id == loaded.id,
                ConsentRequest.via == "reply",
                ConsentRequest.sent > 0,
                ConsentRequest.state != RequestState.WITHDRAWN,
            )
        ).all()
    for request_id, platform, native_id, author_id, ours in watched:
        replier = repliers.get(platform)
        if replier is None:
            continue
        answers = sorted(replier.answers(native_id, ours), key=lambda a: a.at or clock.now())
        for answer in answers:
            tags = {t.lower() for t in HASHTAG.findall(answer.text)}
            if not tags & {yes, no}:
                continue
            if answer.author_id != author_id or author_id is None:
                tag = settings.withdraw_hashtag if no in tags else settings.opt_in_hashtag
                summary.ignored.append(
                    f"{platform} {answer.id}: #{tag.lstrip('#')} from someone other than the "
                    "poster: nothing done"
                )
                continue
            if no in tags:
                _withdraw(sessions, loaded, request_id, platform, answer, clock, actor, summary)
                break
            _opt_in(sessions, request_id, platform, answer, clock, summary)
    return summary


def _opt_in(
    sessions: sessionmaker[Session],
    request_id: int,
    platform: str,
    answer: Any,
    clock: Clock,
    summary: WatchSummary,
) -> None:
    with transaction(sessions) as session:
        row = session.get_one(ConsentRequest, request_id)
        if row.opt_in_post_id is not None:
            return
        row.opt_in_post_id, row.opt_in_at = answer.id, answer.at or clock.now()
        row.updated_at = clock.now()
        audit.record(
            session,
            at=clock.now(),
            actor="answers",
            action="consent.opt-in-by-reply",
            subject_type="testimony",
            subject_id=row.testimony_id,
            detail={"request": row.id, "platform": platform, "post": answer.id},
        )
        summary.opt_ins.append(
            f"testimony {row.testimony_id}: opted in by reply {platform} {answer.id} "
            "(intent only: the signed form is still needed)"
        )


def _withdraw(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    request_id: int,
    platform: str,
    answer: Any,
    clock: Clock,
    actor: str,
    summary: WatchSummary,
) -> None:
    """As `consent revoke`: the form (if any) is revoked and every reshare of the
    testimony comes down in the next publish cycle; the reply is the proof."""
    from consent.register import _revoke

    now = clock.now()
    proof = f"withdrawn by reply {platform} {answer.id}"
    with transaction(sessions) as session:
        row = session.get_one(ConsentRequest, request_id)
        row.state, row.withdrawn_post_id = RequestState.WITHDRAWN, answer.id
        row.withdrawn_at, row.updated_at = answer.at or now, now
        testimony = session.get_one(Testimony, row.testimony_id)
        forms = {i for i in (testimony.consent_id, row.consent_id) if i is not None}
        for consent_id in sorted(forms):
            record = session.get_one(ConsentRecord, consent_id)
            if record.state != FormState.REVOKED:
                _revoke(session, record, proof, actor, now)
        testimony.consent_state, testimony.priority, testimony.updated_at = (
            ConsentState.REVOKED,
            2,
            now,
        )
        request_takedown(session, [testimony.id], f"consent withdrawn: {proof}", now, actor)
        audit.record(
            session,
            at=now,
            actor=actor,
            action="consent.withdrawn-by-reply",
            subject_type="testimony",
            subject_id=testimony.id,
            detail={"request": row.id, "platform": platform, "post": answer.id},
        )
        summary.withdrawals.append(
            f"testimony {testimony.id}: withdrawn by its poster ({proof}); every reshare "
            "comes down in the next publish"
        )


__all__ = [
    "AskSummary",
    "Asked",
    "WatchSummary",
    "ask",
    "list_requests",
    "mark_answered",
    "watch_answers",
]
