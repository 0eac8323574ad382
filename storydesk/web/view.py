"""What the review page shows: the filtered queue beside one testimony's card, each copy with
its player, its rule results and its consent evidence, and the form with what differs.

Read-only: the decisions are review.actions', called by app.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from db.models import ConsentRecord
from db.states import ConsentState, ReviewState
from review.card import Card, evidence_text, testimony_card
from review.differences import differences
from review.queue import (
    CONSENT_STATES,
    STATUSES,
    list_queue,
    next_in_queue,
    queue_total,
)
from review.versions import version_of
from storydesk.web.embeds import embed, web_url

LIST_SIZE = 50  # testimonies listed beside the card


@dataclass(frozen=True)
class Filters:
    status: str = ReviewState.PENDING
    consent: str | None = None
    platform: str | None = None
    role: str | None = None
    country: str | None = None

    @classmethod
    def from_args(cls, args: Any, roles: list[str]) -> Filters:
        """The filters in a query string; a value that is no choice is dropped, so a stale
        bookmark still opens the page."""

        def pick(name: str, choices: tuple[str, ...] | list[str] | None) -> str | None:
            value = args.get(name) or None
            if value is None or (choices is not None and value not in choices):
                return None
            return str(value)[:200]

        return cls(
            status=pick("status", STATUSES) or ReviewState.PENDING,
            consent=pick("consent", CONSENT_STATES),
            platform=pick("platform", platforms()),
            role=pick("role", roles),
            country=pick("country", None),
        )

    def query(self) -> dict[str, str]:
        """As query-string arguments, defaults left out."""
        found = {f.name: getattr(self, f.name) for f in fields(self)}
        return {
            k: v for k, v in found.items() if v and not (k == "status" and v == ReviewState.PENDING)
        }

    def listed(
        self, session: Session, campaign_id: str, limit: int | None, after: int | None = None
    ) -> Any:
        return list_queue(
            session,
            self.status,
            self.platform,
            self.consent,
            limit,
            role=self.role,
            country=self.country,
            after=after,
            light=True,  # the listing beside the card: who, where, which consent
            campaign_id=campaign_id,
        )

    def count(self, session: Session, campaign_id: str) -> str:
        return queue_total(
            session,
            self.status,
            self.platform,
            self.consent,
            role=self.role,
            country=self.country,
            campaign_id=campaign_id,
        )


def platforms() -> list[str]:
    """The platforms posts are harvested from (the registry's list)."""
    from platforms import registry

    return registry.names("harvest")


def roles_of(loaded: LoadedCampaign) -> list[str]:
    return sorted(loaded.settings.roles)


COUNTRIES_FOR = 60.0  # seconds the country list is reused: forms arrive by import, rarely
_countries: tuple[float, str, list[str]] = (0.0, "", [])


def countries(session: Session, campaign_id: str) -> list[str]:
    """The countries on the campaign's forms (another campaign's say where its participants
    live), read again at most once a minute: scanning every form on each page would cost
    more than the rest of the page on a big campaign."""
    global _countries
    now = time.monotonic()
    where = f"{session.get_bind().engine.url} {campaign_id}"
    at, cached_for, cached = _countries
    if cached_for == where and now - at < COUNTRIES_FOR:
        return cached
    found = [
        c
        for c in session.scalars(
            select(ConsentRecord.country)
            .distinct()
            .where(ConsentRecord.campaign_id == campaign_id, ConsentRecord.country.is_not(None))
            .order_by(ConsentRecord.country)
        )
        if c
    ]
    _countries = (now, where, found)
    return found


def choices(session: Session, loaded: LoadedCampaign) -> dict[str, Any]:
    return {
        "status": STATUSES,
        "consent": CONSENT_STATES,
        "platform": platforms(),
        "role": roles_of(loaded),
        "country": countries(session, loaded.id),
    }


def next_card(session: Session, campaign_id: str, filters: Filters, after: int) -> int | None:
    """The card after `after` in the campaign's filtered queue, else the first one left."""
    return next_in_queue(
        session,
        after,
        filters.status,
        filters.platform,
        filters.consent,
        filters.role,
        filters.country,
        campaign_id=campaign_id,
    )


def copies(session: Session, loaded: LoadedCampaign, card: Card) -> list[dict[str, Any]]:
    """Each copy with its player, its own consent evidence and the plan db.copies makes
    for it (the card's: goes out, or stays and why), and whether an override with a reason
    would send it (the same answer approve and publish get)."""
    from db.copies import check_copies
    from db.models import Testimony

    plan = {c["post_id"]: c for c in card["copies"]}
    preview: dict[int, Any] = {}
    testimony = session.get(Testimony, card["id"])
    if testimony is not None and card["review"] != ReviewState.APPROVED:
        preview = {
            c.post_id: c
            for c in check_copies(
                session, testimony, loaded.settings, use_approval=False, override=True
            )
        }
    shown = []
    for post in card["posts"]:
        check = plan.get(post["post_id"])
        could = preview.get(post["post_id"])
        shown.append(
            {
                **post,
                "embed": embed(post),
                "link": web_url(post["url"]),
                "consent": check["consent"] if check else ConsentState.NONE,
                "form": check["form"] if check else None,
                "evidence": evidence_text(check["evidence"]) if check else None,
                "goes_out": bool(check and check["goes_out"]),
                "left_out": bool(check and check["left_out"]),
                "reasons": check["reasons"] if check else [],
                "overridden": check["overridden"] if check else [],
                # the reviewer may choose it: it goes out now, or would with an override
                "choosable": bool(could is not None and could.goes_out),
                "override_would_send": bool(
                    check and not check["goes_out"] and could is not None and could.goes_out
                ),
            }
        )
    return shown


def page(
    session: Session,
    loaded: LoadedCampaign,
    filters: Filters,
    testimony_id: int | None,
) -> dict[str, Any]:
    items = filters.listed(session, loaded.id, LIST_SIZE)
    listed_ids = [int(i["id"]) for i in items]
    context: dict[str, Any] = {
        "items": items,
        "total": filters.count(session, loaded.id),
        "filters": filters,
        "choices": choices(session, loaded),
        "card": None,
        "prev": None,
        "next": None,
    }
    if testimony_id is None:
        return context
    # held until the page is built: the session's identity map keeps rows only while
    # something refers to them, and the card and its copies read the same rows again
    from db.models import Testimony

    testimony = session.get(Testimony, testimony_id)
    record = session.get(ConsentRecord, testimony.consent_id) if testimony else None
    card = testimony_card(session, testimony_id, loaded)
    minimum = loaded.settings.rules.minimum_age_without_guardian
    context.update(
        card=card,
        version=version_of(session, testimony_id),
        copies=copies(session, loaded, card),
        # form field -> what the posts say otherwise
        differs={d.field: d.note for d in differences(card, minimum)},
        minimum_age=minimum,
    )
    del testimony, record
    if testimony_id in listed_ids:
        at = listed_ids.index(testimony_id)
        context["prev"] = listed_ids[at - 1] if at > 0 else None
        context["next"] = listed_ids[at + 1] if at + 1 < len(listed_ids) else None
    else:
        context["next"] = next_card(session, loaded.id, filters, testimony_id)
    return context
