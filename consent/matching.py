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
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Integer, Text, select, type_coerce
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.schema import ConsentMatching, LoadedCampaign
from consent import by_code, normalise
from consent.index import (
    FORM_COLUMNS,
    HANDLE_FIELDS,
    Form,
    FormIndex,
    NameIndex,
    PostFacts,
    form_of,
    handle_letters,
    name_key,
)
from consent.links import settle_links
from consent.reopen import reopen_changed
from consent.requests import mark_answered
from consent.results import MatchSummary, Verdict, write_matches, write_testimonies
from db.models import ConsentRecord, Post
from db.rows import plain_rows
from db.session import large_page_cache, transaction
from db.states import ConsentState, FormState

NUMBER = re.compile(r"\d+")


def _age(record: Form, today: date) -> int | None:
    """The person's age as the form gives it; a form giving both an age and a date of birth
    that disagree is read as the younger (an "18" beside a birth date of 2014 is a child)."""
    ages = [] if record.age is None else [record.age]
    if record.date_of_birth is not None:
        born = record.date_of_birth
        ages.append(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))
    return min(ages) if ages else None


def strong_state(record: Form, minimum_age: int, today: date) -> ConsentState:
    if record.state == FormState.REVOKED:
        return ConsentState.REVOKED
    age = _age(record, today)
    if (
        age is not None
        and age < minimum_age
        and not (record.guardian_signed and record.guardian_name)
    ):
        return ConsentState.GUARDIAN_REQUIRED
    return ConsentState.MATCHED


def judge(
    post: PostFacts,
    index: FormIndex,
    by_author: dict[tuple[str, str], Form],
    loaded: LoadedCampaign,
    today: date,
) -> Verdict:
    minimum = loaded.settings.rules.minimum_age_without_guardian
    return _strong(post, index, by_author, minimum, today) or _fuzzy(post, index, loaded)


def _strong(
    post: PostFacts,
    index: FormIndex,
    by_author: dict[tuple[str, str], Form],
    minimum: int,
    today: date,
) -> Verdict | None:
    """The verdict of a video, account or handle that a form names, if the post has one."""
    # one dictionary look-up per identifier tried: this runs for every post, 100k a match
    key: Any = normalise.video_key(post.url)
    platform, author = post.platform, post.author_id
    if key and (record := index.videos.get(key)) is not None:
        by, form_field, value = "video_url", "video_urls", post.url
    elif author and (record := index.ids.get(key := (platform, author))) is not None:
        by, form_field, value = "account_id", f"{platform} account", author
    elif (handle := normalise.handle(post.author_handle)) and (
        record := index.handles.get(key := (platform, handle))
    ) is not None:
        by, form_field, value = "handle", HANDLE_FIELDS.get(platform, platform), post.author_handle
    elif author and (record := by_author.get((platform, author))) is not None:
        by, form_field, value = "account_id_renamed", "handle seen before", author
    else:
        return None
    evidence: dict[str, Any] = {
        "by": by,
        "form_field": form_field,
        "value": value,
        "response_id": record.response_id,
    }
    state = strong_state(record, minimum, today)
    others = list(index.also.get((by, key)) or ()) if by != "account_id_renamed" else []
    # the post's other identifiers may name other forms: a video URL on one form, the
    # account on another (a form naming someone else's video)
    said = normalise.handle(post.author_handle)
    claims: tuple[tuple[str, dict[Any, Form], Any], ...] = (
        ("video_url", index.videos, normalise.video_key(post.url)),
        ("account_id", index.ids, (platform, author) if author else None),
        ("handle", index.handles, (platform, said) if said else None),
    )
    for kind, table, other_key in claims:
        if kind == by or other_key is None or (other := table.get(other_key)) is None:
            continue
        for rid in (other.response_id, *index.also.get((kind, other_key), ())):
            if rid != record.response_id and rid not in others:
                others.append(rid)
    if others:
        evidence["also_on_forms"] = others  # which of them is it? a person decides
        # ...but none of them may have withdrawn, nor be a minor's without a guardian: the
        # account may be theirs, and those have no override
        states = {state} | {
            strong_state(index.by_response[rid], minimum, today)
            for rid in others
            if rid in index.by_response
        }
        state = next(
            (s for s in (ConsentState.REVOKED, ConsentState.GUARDIAN_REQUIRED) if s in states),
            ConsentState.NEEDS_CHECK,
        )
    return Verdict(state, record, evidence, 100.0)


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
            evidence: dict[str, Any] = {
                "by": "handle_similar",
                "value": post.author_handle,
                "form_value": value,
                "response_id": record.response_id,
            }
            if others := index.also.get(("handle", (post.platform, value))):
                evidence["also_on_forms"] = others
            return Verdict(ConsentState.NEEDS_CHECK, record, evidence, round(score, 1))
    name = name_key(post.author_name)
    found = _by_name(index.names, name, post, thresholds, "name_and_city") if name else None
    if found is None and (letters := handle_letters(post.author_handle)):
        # no name on the post (Instagram's hashtag feed gives none), but 'lea.dubois.7'
        found = _by_name(index.joined, letters, post, thresholds, "name_in_handle")
    return found or Verdict(ConsentState.NONE, None, {}, None)


def _age_said(record: Form, numbers: set[str]) -> int:
    """0 if the testimony says the form's age ("I'm 15"), 1 if the form gives none, else 2."""
    if record.age is None:
        return 1
    return 0 if str(record.age) in numbers else 2


def _closest(names: NameIndex, key: str, cutoff: float) -> Iterator[tuple[str, float]]:
    """Names on forms scoring `cutoff` or more against `key`, best first: the same name
    (100) straight from the dictionary, then, only if asked for, the names the typo index
    finds, scored in C (a common first name puts a hundred in its blocks)."""
    if key in names.forms:
        yield key, 100.0
    for name, score in names.close(key, cutoff):
        if name != key:
            yield name, score


def _by_name(
    names: NameIndex, key: str, post: PostFacts, thresholds: ConsentMatching, by: str
) -> Verdict | None:
    """needs-check for the form whose name is nearest `key` and whose city the post names."""
    body, in_body = "", dict[str, bool]()  # city named in the post? people share cities
    best, tied = -1.0, list[Form]()
    for form_name, score in _closest(names, key, thresholds.name_threshold):  # best first
        if score < best:
            break  # a fitting form has a better name already
        body = body or normalise.text(post.text)
        for city, records in names.forms[form_name].items():
            if city not in in_body:
                in_body[city] = (
                    city in body  # what partial_ratio scores 100, without scoring it
                    or fuzz.partial_ratio(city, body) >= thresholds.city_threshold
                )
            if in_body[city] and score >= best:
                if score > best:
                    best, tied = score, []
                tied.extend(records)
        if tied and best == 100.0:
            break  # no other name scores 100: the typo index need not be asked
    if not tied:
        return None
    tied.sort(key=lambda r: r.id)
    # namesakes in one city: first the one whose age the testimony says ("I'm 15"), last
    # those whose form gives an age the testimony does not say
    if len(tied) > 1:
        numbers = set(NUMBER.findall(body))
        tied.sort(key=lambda r: _age_said(r, numbers))
    record = tied[0]
    evidence: dict[str, Any] = {
        "by": by,
        "value": post.author_name if by == "name_and_city" else post.author_handle,
        "form_value": record.full_name,
        "city": record.city,
        "response_id": record.response_id,
    }
    if len(tied) > 1:
        evidence["also_on_forms"] = [r.response_id for r in tied[1:]]
    return Verdict(ConsentState.NEEDS_CHECK, record, evidence, round(best, 1))


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
        with transaction(sessions) as session, large_page_cache(session, 256):
            return _match(session, loaded, now)
    finally:
        if collecting:
            gc.enable()


def _read_posts(session: Session, campaign_id: str) -> list[PostFacts]:
    """The campaign's posts, as the matcher reads them (the driver's rows go at return)."""
    statement = select(
        Post.id,
        Post.testimony_id,
        Post.platform,
        Post.url,
        Post.author_id,
        Post.author_handle,
        Post.author_name,
        Post.text,
        # only whether there are any: no need to decode 100k JSON lists. Only its truth is
        # read: SQLite's 0 or 1 as it comes, not made a bool per row
        type_coerce(sql_cast(Post.problems, Text) != "[]", Integer).label("problems"),
    ).where(Post.campaign_id == campaign_id)
    return list(map(PostFacts._make, plain_rows(session.connection(), statement)))


def _match(session: Session, loaded: LoadedCampaign, now: datetime) -> MatchSummary:
    posts = _read_posts(session, loaded.id)
    if not posts:
        # Nothing to match (forms imported before any harvest): the register is not read,
        # so importing 100k forms does not also hold an index of them all in memory.
        mark_answered(session, loaded.id, now)
        summary = MatchSummary()
        summary.reopened = len(reopen_changed(session, loaded, now))
        return summary
    records = [
        form_of(row)
        for row in session.connection()
        .execute(
            select(*FORM_COLUMNS)
            .where(ConsentRecord.campaign_id == loaded.id)
            # the first form to claim an identifier is the same each run
            .order_by(ConsentRecord.id)
        )
        .all()
    ]
    index = FormIndex(records)
    today = now.date()
    verdicts: dict[int, Verdict] = {}
    by_author: dict[tuple[str, str], Form] = {}
    minimum = loaded.settings.rules.minimum_age_without_guardian
    coded = by_code.verdicts(
        session, loaded.id, records, lambda r: strong_state(r, minimum, today), now
    )
    # Every post's strong evidence first: the accounts matched by handle also tie a renamed
    # handle's other posts to the form, and those need no likeness scored (a tenth of the
    # posts at 100k were scored, then matched by their account anyway).
    strong: list[Verdict | None] = []
    no_authors: dict[tuple[str, str], Form] = {}
    accounts: dict[tuple[str, str | None], set[str]] = {}  # a form's handle -> account ids
    for post in posts:
        verdict = coded.get(post.id) or _strong(post, index, no_authors, minimum, today)
        strong.append(verdict)
        if verdict is not None and verdict.evidence.get("by") == "handle" and post.author_id:
            key = (post.platform, normalise.handle(post.author_handle))
            accounts.setdefault(key, set()).add(post.author_id)
    for post, verdict in zip(posts, strong, strict=True):
        if verdict is None or verdict.evidence.get("by") != "handle":
            continue
        shared = len(accounts.get((post.platform, normalise.handle(post.author_handle)), ())) > 1
        if shared:
            # a form's handle worn by two accounts (one renamed, another took the name):
            # which of them signed? a person decides; neither's renames follow the form
            verdict.evidence["other_accounts_with_handle"] = True
            if verdict.state == ConsentState.MATCHED:
                verdict.state = ConsentState.NEEDS_CHECK
            continue
        clear = "also_on_forms" not in verdict.evidence  # an account two forms claim: no
        if clear and post.author_id and verdict.record:
            by_author[(post.platform, post.author_id)] = verdict.record
    for post, verdict in zip(posts, strong, strict=True):
        renamed = post.author_id and (post.platform, post.author_id) in by_author
        if renamed and (
            verdict is None or verdict.state in (ConsentState.NONE, ConsentState.NEEDS_CHECK)
        ):
            # a renamed handle: the stable id was matched by handle elsewhere
            verdict = judge(post, index, by_author, loaded, today)
        elif verdict is None:
            verdict = _fuzzy(post, index, loaded)
        verdicts[post.id] = verdict
    write_matches(session, loaded, verdicts, now)
    posts, links = settle_links(session, loaded, posts, verdicts, now)
    summary = write_testimonies(session, loaded, posts, verdicts, now)
    summary.joined, summary.split = links.joined, links.split
    summary.reopened = len(reopen_changed(session, loaded, now))
    return summary
