"""Matching posts to signed forms, strongest evidence first, with no all-pairs comparisons.

1. a video URL or id named on the form; 2. the platform's stable account id (YouTube
channel id, Facebook profile id, or an account already matched by handle: renames follow);
3. the handle, normalised. Those give `matched` (or `guardian-required` for a minor without
a signed guardian part, `revoked` for a withdrawn form). 4. A near handle (a typo) or the
name and city, by fuzzy match within small blocks, only ever give `needs-check`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.schema import LoadedCampaign
from consent import normalise
from db.models import AuditEntry, ConsentMatch, ConsentRecord, Post, Testimony
from db.session import transaction

RANK = {"revoked": 5, "matched": 4, "guardian-required": 3, "needs-check": 2, "none": 1}
HANDLE_FIELDS = {"x": "x_handle", "instagram": "instagram_handle", "tiktok": "tiktok_handle"}


@dataclass
class MatchSummary:
    counts: dict[str, int] = field(default_factory=dict)
    changed: int = 0


@dataclass
class Verdict:
    state: str
    record: ConsentRecord | None
    evidence: dict[str, Any]
    score: float | None


class FormIndex:
    """Dictionaries from each kind of identifier to the form that names it."""

    def __init__(self, records: list[ConsentRecord]) -> None:
        self.videos: dict[str, ConsentRecord] = {}
        self.ids: dict[tuple[str, str], ConsentRecord] = {}
        self.handles: dict[tuple[str, str], ConsentRecord] = {}
        self.handle_blocks: dict[tuple[str, str], list[tuple[str, ConsentRecord]]] = defaultdict(
            list
        )
        self.name_blocks: dict[str, list[ConsentRecord]] = defaultdict(list)
        for record in records:
            for url in record.video_urls:
                if key := normalise.video_key(url):
                    self.videos[key] = record
            channel, yt_handle = normalise.youtube_channel(record.youtube_channel)
            if channel:
                self.ids[("youtube", channel)] = record
            if yt_handle:
                self._handle("youtube", yt_handle, record)
            fb_id, fb_name = normalise.facebook_profile(record.facebook_profile)
            if fb_id:
                self.ids[("facebook", fb_id)] = record
            if fb_name:
                self._handle("facebook", fb_name, record)
            for platform, column in HANDLE_FIELDS.items():
                if found := normalise.handle(getattr(record, column)):
                    self._handle(platform, found, record)
            for token in normalise.text(record.full_name).split():
                if len(token) > 1:
                    self.name_blocks[token].append(record)

    def _handle(self, platform: str, value: str, record: ConsentRecord) -> None:
        self.handles[(platform, value)] = record
        self.handle_blocks[(platform, value[:1])].append((value, record))


def _age(record: ConsentRecord, today: date) -> int | None:
    if record.age is not None:
        return record.age
    if record.date_of_birth is not None:
        born = record.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return None


def strong_state(record: ConsentRecord, minimum_age: int, today: date) -> str:
    if record.state == "revoked":
        return "revoked"
    age = _age(record, today)
    if (
        age is not None
        and age < minimum_age
        and not (record.guardian_signed and record.guardian_name)
    ):
        return "guardian-required"
    return "matched"


def judge(
    post: Any,
    index: FormIndex,
    by_author: dict[tuple[str, str], ConsentRecord],
    loaded: LoadedCampaign,
    today: date,
) -> Verdict:
    settings = loaded.settings
    minimum = settings.rules.minimum_age_without_guardian
    strong: tuple[ConsentRecord, dict[str, Any]] | None = None
    key = normalise.video_key(post.url)
    if key and key in index.videos:
        strong = (
            index.videos[key],
            {"by": "video_url", "form_field": "video_urls", "value": post.url},
        )
    elif post.author_id and (post.platform, post.author_id) in index.ids:
        strong = (
            index.ids[(post.platform, post.author_id)],
            {"by": "account_id", "form_field": f"{post.platform} account", "value": post.author_id},
        )
    else:
        handle = normalise.handle(post.author_handle)
        if handle and (post.platform, handle) in index.handles:
            strong = (
                index.handles[(post.platform, handle)],
                {
                    "by": "handle",
                    "form_field": HANDLE_FIELDS.get(post.platform, post.platform),
                    "value": post.author_handle,
                },
            )
        elif post.author_id and (post.platform, post.author_id) in by_author:
            strong = (
                by_author[(post.platform, post.author_id)],
                {
                    "by": "account_id_renamed",
                    "form_field": "handle seen before",
                    "value": post.author_id,
                },
            )
    if strong is not None:
        record, evidence = strong
        return Verdict(
            strong_state(record, minimum, today),
            record,
            {**evidence, "response_id": record.response_id},
            100.0,
        )
    return _fuzzy(post, index, loaded)


def _fuzzy(post: Any, index: FormIndex, loaded: LoadedCampaign) -> Verdict:
    thresholds = loaded.settings.consent.match
    handle = normalise.handle(post.author_handle)
    if handle:
        best: tuple[float, ConsentRecord | None, str] = (0.0, None, "")
        for value, record in index.handle_blocks.get((post.platform, handle[:1]), []):
            score = fuzz.ratio(handle, value)
            if score > best[0]:
                best = (score, record, value)
        if best[1] is not None and best[0] >= thresholds.handle_typo_threshold:
            return Verdict(
                "needs-check",
                best[1],
                {
                    "by": "handle_similar",
                    "value": post.author_handle,
                    "form_value": best[2],
                    "response_id": best[1].response_id,
                },
                round(best[0], 1),
            )
    name = normalise.text(post.author_name)
    if not name:
        return Verdict("none", None, {}, None)
    candidates = {id(r): r for token in name.split() for r in index.name_blocks.get(token, [])}
    body = normalise.text(post.text)
    chosen: tuple[float, ConsentRecord | None] = (0.0, None)
    for record in candidates.values():
        score = fuzz.token_sort_ratio(name, normalise.text(record.full_name))
        city = normalise.text(record.city)
        if (
            score >= thresholds.name_threshold
            and city
            and fuzz.partial_ratio(city, body) >= thresholds.city_threshold
            and score > chosen[0]
        ):
            chosen = (score, record)
    if chosen[1] is None:
        return Verdict("none", None, {}, None)
    return Verdict(
        "needs-check",
        chosen[1],
        {
            "by": "name_and_city",
            "value": post.author_name,
            "form_value": chosen[1].full_name,
            "city": chosen[1].city,
            "response_id": chosen[1].response_id,
        },
        round(chosen[0], 1),
    )


def match_all(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> MatchSummary:
    """(Re)match every post of the campaign; write only what changed."""
    now = clock.now()
    with transaction(sessions) as session:
        return _match(session, loaded, now)


def _match(session: Session, loaded: LoadedCampaign, now: datetime) -> MatchSummary:
    records = list(
        session.scalars(select(ConsentRecord).where(ConsentRecord.campaign_id == loaded.id))
    )
    index = FormIndex(records)
    rows = session.execute(
        select(
            Post.id,
            Post.testimony_id,
            Post.platform,
            Post.url,
            Post.author_id,
            Post.author_handle,
            Post.author_name,
            Post.text,
            Post.problems,
        ).where(Post.campaign_id == loaded.id)
    ).all()
    posts: list[Any] = list(rows)
    today = now.date()
    verdicts: dict[int, Verdict] = {}
    by_author: dict[tuple[str, str], ConsentRecord] = {}
    for post in posts:
        verdict = judge(post, index, {}, loaded, today)
        verdicts[post.id] = verdict
        if verdict.evidence.get("by") == "handle" and post.author_id and verdict.record:
            by_author[(post.platform, post.author_id)] = verdict.record
    for post in posts:  # a renamed handle: the stable id was matched by handle elsewhere
        if (
            verdicts[post.id].state in ("none", "needs-check")
            and post.author_id
            and (post.platform, post.author_id) in by_author
        ):
            verdicts[post.id] = judge(post, index, by_author, loaded, today)
    _write_matches(session, verdicts, now)
    return _write_testimonies(session, loaded, posts, verdicts, now)


def _write_matches(session: Session, verdicts: dict[int, Verdict], now: datetime) -> None:
    existing = {
        m.post_id: m
        for m in session.execute(
            select(
                ConsentMatch.post_id,
                ConsentMatch.id,
                ConsentMatch.state,
                ConsentMatch.consent_id,
                ConsentMatch.evidence,
            )
        )
    }
    inserts, updates = [], []
    for post_id, v in verdicts.items():
        values = {
            "state": v.state,
            "consent_id": v.record.id if v.record else None,
            "evidence": v.evidence,
            "score": v.score,
            "matched_at": now,
        }
        old = existing.get(post_id)
        if old is None:
            inserts.append({"post_id": post_id, **values})
        elif (old.state, old.consent_id, old.evidence) != (
            values["state"],
            values["consent_id"],
            v.evidence,
        ):
            updates.append({"id": old.id, **values})
    if inserts:
        session.execute(insert(ConsentMatch), inserts)
    if updates:
        session.execute(update(ConsentMatch), updates)


def _write_testimonies(
    session: Session,
    loaded: LoadedCampaign,
    posts: list[Any],
    verdicts: dict[int, Verdict],
    now: datetime,
) -> MatchSummary:
    best: dict[int, Verdict] = {}
    problems: dict[int, bool] = defaultdict(bool)
    for post in posts:
        verdict = verdicts[post.id]
        tid = post.testimony_id
        if tid is None:
            continue
        problems[tid] |= bool(post.problems)
        if tid not in best or RANK[verdict.state] > RANK[best[tid].state]:
            best[tid] = verdict
    current = {
        t.id: t
        for t in session.execute(
            select(
                Testimony.id,
                Testimony.consent_state,
                Testimony.consent_id,
                Testimony.priority,
                Testimony.consent_evidence,
            ).where(Testimony.campaign_id == loaded.id)
        )
    }
    summary = MatchSummary()
    updates, audits = [], []
    for tid, verdict in best.items():
        summary.counts[verdict.state] = summary.counts.get(verdict.state, 0) + 1
        priority = (
            0
            if verdict.state == "matched" and not problems[tid]
            else (1 if verdict.state == "needs-check" else 2)
        )
        consent_id = verdict.record.id if verdict.record else None
        old = current.get(tid)
        if old is None or (
            old.consent_state,
            old.consent_id,
            old.priority,
            old.consent_evidence,
        ) == (verdict.state, consent_id, priority, verdict.evidence):
            continue
        updates.append(
            {
                "id": tid,
                "consent_state": verdict.state,
                "consent_id": consent_id,
                "consent_evidence": verdict.evidence,
                "consent_score": verdict.score,
                "priority": priority,
                "updated_at": now,
            }
        )
        if old.consent_state != verdict.state or old.consent_id != consent_id:
            audits.append(
                {
                    "at": now,
                    "actor": "matcher",
                    "action": f"consent.{verdict.state}",
                    "subject_type": "testimony",
                    "subject_id": str(tid),
                    "detail": {"from": old.consent_state, "evidence": verdict.evidence.get("by")},
                    "consent_id": consent_id,
                    "consent_version": verdict.record.version if verdict.record else None,
                }
            )
    if updates:
        session.execute(update(Testimony), updates)
    if audits:
        session.execute(insert(AuditEntry), audits)
    summary.changed = len(updates)
    return summary
