"""Facebook: drop what the platform no longer makes available (Instagram: compliance.instagram).

Facebook offers no lookup of other people's posts by id that the collector's credentials may
use, so availability is read from the same listing the harvest reads: the Page's tagged
posts, followed to the end. A stored post missing from a complete listing is no longer
available there.

Guards against a listing that is short for some other reason: an incomplete listing
(any error) drops nothing, and a listing that would drop more than half of what we hold
(of more than a handful) is refused as suspicious and reported instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from compliance.sources import live_posts, source_gone
from compliance.summary import ComplianceSummary
from config.clock import Clock
from config.credentials import require_env
from config.errors import WorkFailed
from config.schema import LoadedCampaign
from db.models import Post
from db.session import transaction
from db.states import SourceState

Listing = Callable[[], set[str]]
SUSPICIOUS_SHARE = 0.5
SUSPICIOUS_MINIMUM = 5


# the listing asks only ids (every field must exist on the Post node: sandbox/graph_fields.py)
LISTING_FIELDS = "id"


def facebook_listing(loaded: LoadedCampaign, summary: ComplianceSummary, clock: Clock) -> Listing:
    from platforms import graph, http

    fb = loaded.settings.platforms.facebook
    assert fb is not None
    token = require_env(fb.access_token_env, "platforms.facebook.access_token_env", loaded.settings)
    session = http.session(settings=fb, section="platforms.facebook")

    def listing() -> set[str]:
        import requests

        url: str | None = f"{fb.base_url}/{fb.graph_version}/{fb.page_id}/tagged"
        params: dict[str, Any] | None = {"fields": LISTING_FIELDS, "limit": 100}
        ids: set[str] = set()
        while url:
            try:
                response = session.get(
                    url, params=params, headers={"Authorization": f"Bearer {token}"}
                )
                body = response.json()
            except (requests.RequestException, ValueError) as exc:
                raise WorkFailed(f"facebook: listing the tagged posts failed: {exc}") from exc
            summary.requests["facebook"] += 1
            # sorted by the body's code in the one place harvest and publish use too
            problem = graph.classify_answer(
                response.status_code, body, "facebook tagged listing", clock.now()
            )
            if problem is not None:
                raise problem
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise WorkFailed("facebook: unexpected answer listing tagged posts (no data list)")
            ids.update(str(item["id"]) for item in body["data"])
            url = (body.get("paging") or {}).get("next")
            params = None  # the next URL carries every parameter
        return ids

    return listing


def sweep_listing(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    clock: Clock,
    summary: ComplianceSummary,
    platform: str,
    listing: Listing,
) -> None:
    available = listing()  # raises on any problem: an incomplete listing drops nothing
    with sessions() as session:
        stored = list(
            session.scalars(
                select(Post.native_id).where(
                    Post.campaign_id == loaded.id, Post.platform == platform, live_posts()
                )
            )
        )
    missing = [native_id for native_id in stored if native_id not in available]
    summary.checked[platform] += len(stored)
    if len(stored) > SUSPICIOUS_MINIMUM and len(missing) > SUSPICIOUS_SHARE * len(stored):
        summary.errors.append(
            f"{platform}: the listing lacks {len(missing)} of {len(stored)} stored posts; "
            "that looks like a short listing, not deletions: nothing dropped"
        )
        return
    now = clock.now()
    with transaction(sessions) as session:
        for post in session.scalars(
            select(Post).where(
                Post.campaign_id == loaded.id,
                Post.platform == platform,
                Post.native_id.in_(missing),
            )
        ):
            source_gone(session, post, SourceState.DELETED, now, summary)
        session.execute(
            update(Post)
            .where(Post.campaign_id == loaded.id, Post.platform == platform, live_posts())
            .values(source_checked_at=now)
            .execution_options(synchronize_session=False)
        )
