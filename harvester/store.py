"""Storing a page: upsert by (campaign, platform, native id), provenance, rules, testimonies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign
from db.models import HarvestRun, Post, Testimony
from harvester.common import HarvestedPost, fingerprint
from harvester.linking import find_testimony
from harvester.rules import detect_role, problems


@dataclass
class Stored:
    new: int = 0
    updated: int = 0
    skipped: int = 0


def store_posts(
    session: Session,
    loaded: LoadedCampaign,
    run: HarvestRun,
    posts: list[HarvestedPost],
    now: datetime,
) -> Stored:
    counts = Stored()
    unique = {p.native_id: p for p in posts}
    if not unique:
        return counts
    existing = {
        row.native_id: row
        for row in session.scalars(
            select(Post).where(
                Post.campaign_id == loaded.id,
                Post.platform == run.platform,
                Post.native_id.in_(list(unique)),
            )
        )
    }
    settings = loaded.settings
    for native_id, item in unique.items():
        row = existing.get(native_id)
        if row is not None:
            if row.text != item.text and row.purged_at is None:
                # An edit: the new words, and the old ones kept with when we saw them change.
                row.edit_history = [*row.edit_history, {"text": row.text, "until": now.isoformat()}]
                row.text, row.hashtags, row.mentions = item.text, item.hashtags, item.mentions
                row.problems = problems(item, settings)
                row.raw, row.run_id, row.updated_at = item.raw, run.id, now
                counts.updated += 1
            else:
                counts.skipped += 1
            continue
        mark = fingerprint(item.body or item.text)
        role, question = detect_role(item.text, settings)
        testimony_id = find_testimony(session, loaded.id, item, mark)
        if testimony_id is None:
            testimony = Testimony(
                campaign_id=loaded.id,
                role=role,
                question=question,
                priority=2,
                created_at=now,
                updated_at=now,
            )
            session.add(testimony)
            session.flush()
            testimony_id = testimony.id
        session.add(
            Post(
                campaign_id=loaded.id,
                testimony_id=testimony_id,
                platform=item.platform,
                native_id=native_id,
                url=item.url,
                author_id=item.author_id,
                author_handle=item.author_handle,
                author_name=item.author_name,
                text=item.text,
                hashtags=item.hashtags,
                mentions=item.mentions,
                links=item.links,
                media_type=item.media_type,
                media_url=item.media_url,
                duration_seconds=item.duration_seconds,
                published_at=item.published_at,
                harvested_at=now,
                updated_at=now,
                raw=item.raw,
                query=run.query,
                run_id=run.id,
                config_hash=run.config_hash,
                problems=problems(item, settings),
                role=role,
                question=question,
                fingerprint=mark,
            )
        )
        # A later copy on another platform must find this one within the same page.
        session.flush()
        counts.new += 1
    return counts
