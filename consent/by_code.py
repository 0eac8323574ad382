"""The strongest evidence: a signed form that came back with the code of our request.

`storydesk ask` put a code in the form's address under one copy of a testimony
(consent/requests.py); the form tool exports it in the form's `code` column. That ties the
form to that copy whatever the names and handles on the form say: only the poster was
sent the link. Two forms carrying one code (a link passed on) are for a person to decide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent.index import Form
from consent.requests import mark_answered
from consent.results import Verdict
from db.models import ConsentRecord, ConsentRequest
from db.states import ConsentState


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
        if len(pairs) > 1:
            evidence["also_on_forms"] = [by_id[f].response_id for _, f in pairs[1:]]
            state = (
                ConsentState.REVOKED if state == ConsentState.REVOKED else ConsentState.NEEDS_CHECK
            )
        found[post_id] = Verdict(state, form, evidence, 100.0)
    return found
