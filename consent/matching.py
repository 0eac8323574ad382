"""Matching posts to signed forms, strongest evidence first, with no all-pairs comparisons.

1. a video URL or id named on the form; 2. the platform's stable account id (YouTube
channel id, Facebook profile id, or an account already matched by handle: renames follow);
3. the handle, normalised. Those give `matched` (or `guardian-required` for a minor without
a signed guardian part, `revoked` for a withdrawn form). 4. A near handle (a typo) or the
name and city, scored by rapidfuzz against the campaign's thresholds, only ever give
`needs-check`. So does a strong identifier that two different forms claim: a wrong person is
worse than a miss. Fuzzy scoring looks only at the forms about one typo away (see
consent/near.py), so the work grows with the number of posts, not with posts x forms.
"""

from __future__ import annotations

import gc
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from rapidfuzz import fuzz, process
from sqlalchemy import Table, Text, bindparam, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.schema import ConsentMatching, LoadedCampaign
from consent import normalise
from consent.near import NearIndex
from db.bulk import execute_many, stored, update_many
from db.models import AuditEntry, ConsentMatch, ConsentRecord, Post, Testimony
from db.session import transaction


@dataclass(frozen=True, slots=True)
class Form:
    """A form as the matcher reads it: only these columns, no ORM objects (50k load fast)."""

    id: int
    response_id: str
    version: int
    state: str
    full_name: str | None
    city: str | None
    age: int | None
    date_of_birth: date | None
    guardian_signed: bool
    guardian_name: str | None
    video_urls: list[str]
    x_handle: str | None
    youtube_channel: str | None
    instagram_handle: str | None
    facebook_profile: str | None
    tiktok_handle: str | None


FORM_COLUMNS = [getattr(ConsentRecord, f) for f in Form.__dataclass_fields__]


class PostFacts(NamedTuple):
    """What the matcher reads of a post. A plain tuple: a row's attributes cost ten times
    more to read, and each post's are read a dozen times."""

    id: int
    testimony_id: int | None
    platform: str
    url: str | None
    author_id: str | None
    author_handle: str | None
    author_name: str | None
    text: str | None
    problems: bool
RANK = {"revoked": 5, "matched": 4, "guardian-required": 3, "needs-check": 2, "none": 1}
HANDLE_FIELDS = {"x": "x_handle", "instagram": "instagram_handle", "tiktok": "tiktok_handle"}
NUMBER = re.compile(r"\d+")
MIN_HANDLE_LETTERS = 6  # fewer letters in a handle say little about a name


@dataclass
class MatchSummary:
    counts: dict[str, int] = field(default_factory=dict)
    changed: int = 0


@dataclass
class Verdict:
    state: str
    record: Form | None
    evidence: dict[str, Any]
    score: float | None
    _text: str | None = None

    def evidence_text(self) -> str:
        """The evidence as stored (see as_text); a testimony's verdict is one of its posts'."""
        if self._text is None:
            self._text = json.dumps(self.evidence)
        return self._text


def name_key(value: str | None) -> str:
    """A full name folded (case, accents) with its words sorted, as token_sort_ratio sees it."""
    return " ".join(sorted(normalise.text(value).split()))


def handle_letters(value: str | None) -> str:
    """The letters of a handle, folded: 'Lea.Dubois_7' -> 'leadubois' (too short: '')."""
    letters = "".join(c for c in normalise.text(normalise.handle(value)) if c.isalpha())
    return letters if len(letters) >= MIN_HANDLE_LETTERS else ""


class NameIndex:
    """Names (as keys) -> [(folded city, form)], and a typo index over the distinct names: a
    common name costs one comparison, whatever the number of people who share it."""

    def __init__(self) -> None:
        self.forms: dict[str, list[tuple[str, Form]]] = {}
        self._near = NearIndex()

    def add(self, key: str, city: str, record: Form) -> None:
        if key not in self.forms:
            self.forms[key] = []
            self._near.add(key)
        self.forms[key].append((city, record))

    def near(self, key: str) -> list[str]:
        return list(self._near.near(key))


class FormIndex:
    """Dictionaries from each kind of identifier to the form that names it, and indexes of
    handles and names that find the forms one typo away (for `needs-check` only)."""

    def __init__(self, records: list[Form]) -> None:
        self.videos: dict[str, Form] = {}
        self.ids: dict[tuple[str, str], Form] = {}
        self.handles: dict[tuple[str, str], Form] = {}
        self.near_handles: dict[str, NearIndex] = defaultdict(NearIndex)
        self.names = NameIndex()  # folded, words sorted, as token_sort_ratio sees them
        self.joined = NameIndex()  # the letters in written order, as a handle holds them
        # identifiers named on more than one form: the other forms' response_ids
        self.also: dict[Any, list[str]] = {}
        for record in records:
            for url in record.video_urls:
                if key := normalise.video_key(url):
                    self._claim(self.videos, key, record, "video_url")
            channel, yt_handle = normalise.youtube_channel(record.youtube_channel)
            if channel:
                self._claim(self.ids, ("youtube", channel), record, "account_id")
            if yt_handle:
                self._handle("youtube", yt_handle, record)
            fb_id, fb_name = normalise.facebook_profile(record.facebook_profile)
            if fb_id:
                self._claim(self.ids, ("facebook", fb_id), record, "account_id")
            if fb_name:
                self._handle("facebook", fb_name, record)
            for platform, column in HANDLE_FIELDS.items():
                if found := normalise.handle(getattr(record, column)):
                    self._handle(platform, found, record)
            if name := name_key(record.full_name):
                city = normalise.text(record.city)
                self.names.add(name, city, record)
                letters = "".join(c for c in normalise.text(record.full_name) if c.isalpha())
                self.joined.add(letters, city, record)

    def _claim(self, table: dict[Any, Form], key: Any, record: Form, kind: str) -> None:
        first = table.setdefault(key, record)
        if first.id != record.id:
            others = self.also.setdefault((kind, key), [])
            if record.response_id not in others:
                others.append(record.response_id)

    def _handle(self, platform: str, value: str, record: Form) -> None:
        self.near_handles[platform].add(value)
        self._claim(self.handles, (platform, value), record, "handle")

    def handles_near(self, platform: str, value: str) -> list[str]:
        """Handles on forms one typo from `value` (or so), normalised, sorted."""
        if platform not in self.near_handles:
            return []
        return sorted(self.near_handles[platform].near(value))


def _age(record: Form, today: date) -> int | None:
    if record.age is not None:
        return record.age
    if record.date_of_birth is not None:
        born = record.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return None


def strong_state(record: Form, minimum_age: int, today: date) -> str:
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
    post: PostFacts,
    index: FormIndex,
    by_author: dict[tuple[str, str], Form],
    loaded: LoadedCampaign,
    today: date,
) -> Verdict:
    settings = loaded.settings
    minimum = settings.rules.minimum_age_without_guardian
    strong: tuple[Form, dict[str, Any]] | None = None
    key: Any = normalise.video_key(post.url)
    if key and key in index.videos:
        strong = (
            index.videos[key],
            {"by": "video_url", "form_field": "video_urls", "value": post.url},
        )
    elif post.author_id and (key := (post.platform, post.author_id)) in index.ids:
        strong = (
            index.ids[(post.platform, post.author_id)],
            {"by": "account_id", "form_field": f"{post.platform} account", "value": post.author_id},
        )
    else:
        handle = normalise.handle(post.author_handle)
        if handle and (key := (post.platform, handle)) in index.handles:
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
        evidence["response_id"] = record.response_id
        state = strong_state(record, minimum, today)
        if evidence["by"] != "account_id_renamed" and (
            others := index.also.get((evidence["by"], key))
        ):
            evidence["also_on_forms"] = others  # which of them is it? a person decides
            state = "revoked" if state == "revoked" else "needs-check"
        return Verdict(state, record, evidence, 100.0)
    return _fuzzy(post, index, loaded)


def _fuzzy(post: PostFacts, index: FormIndex, loaded: LoadedCampaign) -> Verdict:
    thresholds = loaded.settings.consent.match
    handle = normalise.handle(post.author_handle)
    if handle:
        best = process.extractOne(
            handle,
            index.handles_near(post.platform, handle),
            scorer=fuzz.ratio,
            score_cutoff=thresholds.handle_typo_threshold,
        )
        if best is not None:
            value, score, _ = best
            record = index.handles[(post.platform, value)]
            evidence = {
                "by": "handle_similar",
                "value": post.author_handle,
                "form_value": value,
                "response_id": record.response_id,
            }
            if others := index.also.get(("handle", (post.platform, value))):
                evidence["also_on_forms"] = others
            return Verdict("needs-check", record, evidence, round(score, 1))
    name = name_key(post.author_name)
    found = _by_name(index.names, name, post, thresholds, "name_and_city") if name else None
    if found is None and (letters := handle_letters(post.author_handle)):
        # no name on the post (Instagram's hashtag feed gives none), but 'lea.dubois.7'
        found = _by_name(index.joined, letters, post, thresholds, "name_in_handle")
    return found or Verdict("none", None, {}, None)


def _age_said(record: Form, numbers: set[str]) -> int:
    """0 if the testimony says the form's age ("I'm 15"), 1 if the form gives none, else 2."""
    if record.age is None:
        return 1
    return 0 if str(record.age) in numbers else 2


def _by_name(
    names: NameIndex, key: str, post: PostFacts, thresholds: ConsentMatching, by: str
) -> Verdict | None:
    """needs-check for the form whose name is nearest `key` and whose city the post names."""
    body, in_body = "", dict[str, bool]()  # city named in the post? people share cities
    fitting: list[tuple[float, Form]] = []
    # a common first name puts a hundred names in the blocks: rapidfuzz scores them in C
    close = process.extract(
        key, names.near(key), scorer=fuzz.ratio, score_cutoff=thresholds.name_threshold, limit=None
    )
    for form_name, score, _ in close:
        body = body or normalise.text(post.text)
        for city, record in names.forms[form_name]:
            if city and city not in in_body:
                in_body[city] = (
                    city in body  # what partial_ratio scores 100, without scoring it
                    or fuzz.partial_ratio(city, body) >= thresholds.city_threshold
                )
            if city and in_body[city]:
                fitting.append((score, record))
    if not fitting:
        return None
    best = max(score for score, _ in fitting)
    tied = sorted((r for score, r in fitting if score == best), key=lambda r: r.id)
    # namesakes in one city: first the one whose age the testimony says ("I'm 15"), last
    # those whose form gives an age the testimony does not say
    if len(tied) > 1:
        numbers = set(NUMBER.findall(body))
        tied.sort(key=lambda r: _age_said(r, numbers))
    record = tied[0]
    evidence = {
        "by": by,
        "value": post.author_name if by == "name_and_city" else post.author_handle,
        "form_value": record.full_name,
        "city": record.city,
        "response_id": record.response_id,
    }
    if len(tied) > 1:
        evidence["also_on_forms"] = [r.response_id for r in tied[1:]]
    return Verdict("needs-check", record, evidence, round(best, 1))


def match_all(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> MatchSummary:
    """(Re)match every post of the campaign; write only what changed."""
    now = clock.now()
    # The indexes are hundreds of thousands of small objects that all live until the end:
    # the cyclic collector would walk them again and again (a fifth of the time at 100k
    # posts) and can free none of them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with transaction(sessions) as session:
            return _match(session, loaded, now)
    finally:
        if collecting:
            gc.enable()


def _match(session: Session, loaded: LoadedCampaign, now: datetime) -> MatchSummary:
    records = [
        Form(*row)
        for row in session.connection().execute(
            select(*FORM_COLUMNS)
            .where(ConsentRecord.campaign_id == loaded.id)
            .order_by(
                ConsentRecord.id
            )  # the first form to claim an identifier is the same each run
        )
    ]
    index = FormIndex(records)
    rows = session.connection().execute(
        select(
            Post.id,
            Post.testimony_id,
            Post.platform,
            Post.url,
            Post.author_id,
            Post.author_handle,
            Post.author_name,
            Post.text,
            # only whether there are any: no need to decode 100k JSON lists
            (sql_cast(Post.problems, Text) != "[]").label("problems"),
        ).where(Post.campaign_id == loaded.id)
    )
    posts = [PostFacts._make(row) for row in rows]
    today = now.date()
    verdicts: dict[int, Verdict] = {}
    by_author: dict[tuple[str, str], Form] = {}
    for post in posts:
        verdict = judge(post, index, {}, loaded, today)
        verdicts[post.id] = verdict
        clear = "also_on_forms" not in verdict.evidence  # an account two forms claim: no
        if verdict.evidence.get("by") == "handle" and clear and post.author_id and verdict.record:
            by_author[(post.platform, post.author_id)] = verdict.record
    for post in posts:  # a renamed handle: the stable id was matched by handle elsewhere
        if (
            verdicts[post.id].state in ("none", "needs-check")
            and post.author_id
            and (post.platform, post.author_id) in by_author
        ):
            verdicts[post.id] = judge(post, index, by_author, loaded, today)
    _write_matches(session, loaded, verdicts, now)
    return _write_testimonies(session, loaded, posts, verdicts, now)


def as_text(column: Any) -> Any:
    """A JSON column as the text stored, to compare with json.dumps (how SQLAlchemy writes
    it) without decoding 100k documents. Text that differs only in spelling just means one
    needless rewrite; equal text is always equal evidence."""
    return sql_cast(column, Text).label(column.key)


# Writes go through one executemany per table with values in stored form (db/bulk.py): the
# ORM's bulk paths split batches whenever a row's NULLs differ, and Core's per-value
# conversion costs seconds at 100k posts.
MATCHES = cast(Table, ConsentMatch.__table__)
TESTIMONIES = cast(Table, Testimony.__table__)
AUDIT = cast(Table, AuditEntry.__table__)


def _write_matches(
    session: Session, loaded: LoadedCampaign, verdicts: dict[int, Verdict], now: datetime
) -> None:
    existing = {
        m.post_id: m
        for m in session.connection().execute(
            select(
                ConsentMatch.post_id,
                ConsentMatch.id,
                ConsentMatch.state,
                ConsentMatch.consent_id,
                as_text(ConsentMatch.evidence),
            )
            .join(Post, Post.id == ConsentMatch.post_id)
            .where(Post.campaign_id == loaded.id)
        )
    }
    inserts, updates = [], []
    stamp = stored(session, MATCHES.c.matched_at, now)
    for post_id, v in verdicts.items():
        values = {
            "state": v.state,
            "consent_id": v.record.id if v.record else None,
            "evidence": v.evidence_text(),
            "score": v.score,
            "matched_at": stamp,
        }
        old = existing.get(post_id)
        if old is None:
            inserts.append({"post_id": post_id, **values})
        elif (old.state, old.consent_id, old.evidence) != (
            values["state"],
            values["consent_id"],
            values["evidence"],
        ):
            updates.append({"match_id": old.id, **values})
    execute_many(session, insert(MATCHES), inserts)
    execute_many(session, update(MATCHES).where(MATCHES.c.id == bindparam("match_id")), updates)


def _write_testimonies(
    session: Session,
    loaded: LoadedCampaign,
    posts: list[PostFacts],
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
        for t in session.connection().execute(
            select(
                Testimony.id,
                Testimony.consent_state,
                Testimony.consent_id,
                Testimony.priority,
                as_text(Testimony.consent_evidence),
            ).where(Testimony.campaign_id == loaded.id)
        )
    }
    summary = MatchSummary()
    updates, audits = [], []
    stamp = stored(session, TESTIMONIES.c.updated_at, now)
    for tid, verdict in best.items():
        summary.counts[verdict.state] = summary.counts.get(verdict.state, 0) + 1
        priority = (
            0
            if verdict.state == "matched" and not problems[tid]
            else (1 if verdict.state == "needs-check" else 2)
        )
        consent_id = verdict.record.id if verdict.record else None
        old = current.get(tid)
        evidence = verdict.evidence_text()
        if old is None or (
            old.consent_state,
            old.consent_id,
            old.priority,
            old.consent_evidence,
        ) == (verdict.state, consent_id, priority, evidence):
            continue
        updates.append(
            {
                "id": tid,
                "consent_state": verdict.state,
                "consent_id": consent_id,
                "consent_evidence": evidence,
                "consent_score": verdict.score,
                "priority": priority,
                "updated_at": stamp,
            }
        )
        if old.consent_state != verdict.state or old.consent_id != consent_id:
            audits.append(
                {
                    "at": stamp,
                    "actor": "matcher",
                    "action": f"consent.{verdict.state}",
                    "subject_type": "testimony",
                    "subject_id": str(tid),
                    "detail": json.dumps(
                        {"from": old.consent_state, "evidence": verdict.evidence.get("by")}
                    ),
                    "consent_id": consent_id,
                    "consent_version": verdict.record.version if verdict.record else None,
                }
            )
    update_many(session, TESTIMONIES, updates)
    execute_many(session, insert(AUDIT), audits)
    summary.changed = len(updates)
    return summary
