"""The strongest evidence: a signed form that came back with the code of our request.

`storydesk ask` put a code in the form's address under one copy of a testimony
(consent/requests.py); the form tool exports it in the form's `code` column. The request
is a public reply or comment, though: anyone who reads it can open the link and sign. So
the code ties the form to that copy only when the form also names the poster (the asked
account, or a name like the one the account shows); a form that names neither gives
needs-check, for a person to see who signed. Two forms carrying one code (a link passed
on) are for a person to decide too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent import normalise
from consent.index import Form, name_key
from consent.requests import mark_answered
from consent.results import Verdict
from db.models import ConsentRecord, ConsentRequest, Post
from db.states import ConsentState
from platforms import registry

# how alike the form's name and the name the account shows must be (token_set_ratio: a
# display name of the first name alone, "Liam", is like "Liam Müller")
NAME_LIKE = 90


def verdicts(
    session: Session,
    campaign_id: str,
    forms: list[Form],
    state_of: Callable[[Form], ConsentState],
    now: datetime,
) -> dict[int, Verdict]:
    """post id -> verdict, for the copies asked whose code came back on a form."""
    mark_answered(session, campaign_id, now)
    by_id = {form.id: form for form in forms}
    claimed: dict[int, list[tuple[str, int]]] = {}
    for post_id, code, form_id in session.execute(
        select(ConsentRequest.post_id, ConsentRequest.code, ConsentRecord.id)
        .join(ConsentRecord, ConsentRecord.request_code == ConsentRequest.code)
        .where(
            ConsentRequest.campaign_id == campaign_id,
            ConsentRecord.campaign_id == campaign_id,
        )
        .order_by(ConsentRecord.id)
    ):
        if form_id in by_id:
            claimed.setdefault(post_id, []).append((code, form_id))
    posters = {
        row.id: row
        for row in session.execute(
            select(
                Post.id, Post.platform, Post.author_id, Post.author_handle, Post.author_name
            ).where(Post.id.in_(list(claimed)))
        )
    }
    found: dict[int, Verdict] = {}
    for post_id, pairs in claimed.items():
        code, form_id = pairs[0]
        form = by_id[form_id]
        evidence: dict[str, Any] = {
            "by": "form_code",
            "form_field": "code",
            "value": code,
            "response_id": form.response_id,
        }
        state = state_of(form)
        if (poster := posters.get(post_id)) is not None and not _names_the_poster(form, poster):
            # the code alone: whoever read the public request may have signed
            evidence["signer_unconfirmed"] = (
                "the form names neither the account asked nor a name like the one it shows"
            )
            if state != ConsentState.REVOKED:
                state = ConsentState.NEEDS_CHECK
        if len(pairs) > 1:
            evidence["also_on_forms"] = [by_id[f].response_id for _, f in pairs[1:]]
            state = (
                ConsentState.REVOKED if state == ConsentState.REVOKED else ConsentState.NEEDS_CHECK
            )
        found[post_id] = Verdict(state, form, evidence, 100.0)
    return found


def _names_the_poster(form: Form, poster: Any) -> bool:
    """Does the form name the account the request was sent to (its handle or id on that
    platform), or a name like the one the account shows?"""
    given = form.accounts.get(poster.platform)
    if given:
        account, handle = registry.get(poster.platform).consent_reader(given)
        if account and account == poster.author_id:
            return True
        if handle and handle == normalise.handle(poster.author_handle):
            return True
    signed, shown = name_key(form.full_name), name_key(poster.author_name)
    return bool(signed and shown) and fuzz.token_set_ratio(signed, shown) >= NAME_LIKE
