"""Health at a glance: per platform the last run, quota, cursor age; the backlog; alarms.

Alarms (each stands until what caused it is fixed; `status` then exits 1 for monitoring):
- zero-harvest: a platform found nothing new for N runs in a row while it used to find posts
- credential: the platform rejected our credential on its latest run
- quota: at today's burn rate the quota runs out before it resets (YouTube: midnight Pacific)
- takedown: a takedown was asked for and is still not done after a while
- gallery: the last rebuild of the public gallery failed (withdrawn cards may still show)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.schema import LoadedCampaign, parse_duration
from db.models import AuditEntry, HarvestCursor, HarvestRun, Lease, Post, Publication, Testimony
from storydesk.jobs import Job, last_started, lease_name, next_due, plan

MIN_TAKEDOWN_ALARM = timedelta(hours=1)


@dataclass
class Alarm:
    kind: str  # zero-harvest | credential | quota | takedown | gallery
    message: str
    platform: str | None = None


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def _pacific_day_start(now: datetime) -> datetime:
    from compliance.purge import quota_day

    return quota_day(now)


@dataclass
class Cycle:
    """One harvest of a platform: a run per query (Instagram has one per hashtag)."""

    runs: list[HarvestRun]

    @property
    def status(self) -> str:
        states = {r.status for r in self.runs}
        return next((s for s in ("failed", "try-later") if s in states), "ok")

    @property
    def failing(self) -> HarvestRun | None:
        return next((r for r in self.runs if r.status != "ok"), None)

    def total(self, name: str) -> int:
        return sum(int(getattr(r, name) or 0) for r in self.runs)


def cycles(session: Session, campaign_id: str, platform: str, count: int) -> list[Cycle]:
    """The latest `count` finished harvests, newest first. Runs of one harvest are told
    apart from the one before by their queries: a harvest asks each query once."""
    runs = session.scalars(
        select(HarvestRun)
        .where(
            HarvestRun.campaign_id == campaign_id,
            HarvestRun.platform == platform,
            HarvestRun.status != "running",
        )
        .order_by(HarvestRun.started_at.desc(), HarvestRun.id.desc())
        .limit(count * 8 + 8)  # up to 8 queries per harvest; the oldest may come out short
    )
    found: list[Cycle] = []
    seen: set[str] = set()
    for run in runs:
        if not found or run.query in seen:
            if len(found) == count:
                break
            found.append(Cycle([]))
            seen = set()
        found[-1].runs.append(run)
        seen.add(run.query)
    return found


def zero_harvest_alarm(
    session: Session, campaign_id: str, platform: str, count: int
) -> Alarm | None:
    recent = cycles(session, campaign_id, platform, count * 3)
    ok = [c for c in recent if c.status == "ok"]  # failures have alarms (or retries) of their own
    if len(ok) < count or any(c.total("new_count") for c in ok[:count]):
        return None
    used_to = session.scalar(
        select(func.count())
        .select_from(HarvestRun)
        .where(
            HarvestRun.campaign_id == campaign_id,
            HarvestRun.platform == platform,
            HarvestRun.new_count > 0,
        )
    )
    if not used_to:
        return None
    return Alarm(
        "zero-harvest",
        f"{platform}: no new posts in the last {count} harvests, though earlier ones found some "
        "(changed query? hashtag dropped? collector broken?)",
        platform,
    )


def credential_alarm(session: Session, campaign_id: str, platform: str) -> Alarm | None:
    latest = cycles(session, campaign_id, platform, 1)
    failing = latest[0].failing if latest else None
    if failing is not None and failing.error_kind == "credential":
        return Alarm(
            "credential",
            f"{platform}: the platform rejected our credential on "
            f"{failing.started_at:%Y-%m-%d %H:%M} UTC: {failing.error}",
            platform,
        )
    return None


def quota_report(
    session: Session, platform: str, daily: int, now: datetime
) -> tuple[dict[str, Any], Alarm | None]:
    from compliance.purge import quota_day_end, quota_used

    used = quota_used(session, platform, now)
    start, end = _pacific_day_start(now), quota_day_end(now)
    report: dict[str, Any] = {
        "daily": daily,
        "used_today": used,
        "left_today": max(daily - used, 0),
        "resets_at": _iso(end),
    }
    elapsed = (now - start).total_seconds()
    if used <= 0 or elapsed <= 0:
        return report, None
    if used >= daily:
        return report, Alarm(
            "quota",
            f"{platform}: today's quota ({daily} units) is spent until {_iso(end)}",
            platform,
        )
    rate = used / elapsed  # units per second, today so far
    runs_out = now + timedelta(seconds=(daily - used) / rate)
    report["runs_out_at"] = _iso(runs_out) if runs_out < end else None
    if runs_out < end:
        return report, Alarm(
            "quota",
            f"{platform}: at today's rate ({used} units so far) the quota of {daily} runs out "
            f"at {runs_out:%H:%M} UTC, before it resets at {end.astimezone(UTC):%H:%M} UTC",
            platform,
        )
    return report, None


def platform_status(
    session: Session, loaded: LoadedCampaign, job: Job, now: datetime
) -> tuple[dict[str, Any], list[Alarm]]:
    platform = job.platform or ""
    settings = loaded.settings
    section = getattr(settings.platforms, platform)
    latest = cycles(session, loaded.id, platform, 1)
    last = latest[0] if latest else None
    youtube = platform == "youtube"
    day_start = (
        _pacific_day_start(now)
        if youtube
        else now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    requests_today = session.scalar(
        select(func.coalesce(func.sum(HarvestRun.requests), 0)).where(
            HarvestRun.campaign_id == loaded.id,
            HarvestRun.platform == platform,
            HarvestRun.started_at >= day_start,
        )
    )
    cursor = session.scalar(
        select(func.max(HarvestCursor.updated_at)).where(
            HarvestCursor.campaign_id == loaded.id, HarvestCursor.platform == platform
        )
    )
    running = session.scalar(select(Lease).where(Lease.name == lease_name(loaded, job.name)))
    entry: dict[str, Any] = {
        "platform": platform,
        "every": section.every,
        "last_run": None,
        "requests_today": int(requests_today or 0),
        "quota": None,
        "cursor_age_seconds": int((now - cursor).total_seconds()) if cursor else None,
        "next_due": _iso(max(next_due(session, loaded, job), now)),
        "running_on": running.holder if running is not None and running.expires_at > now else None,
    }
    if last is not None:
        failing = last.failing
        entry["last_run"] = {
            "runs": [r.id for r in last.runs],
            "started_at": _iso(min(r.started_at for r in last.runs)),
            "finished_at": _iso(
                max((r.finished_at for r in last.runs if r.finished_at), default=None)
            ),
            "status": last.status,
            "new": last.total("new_count"),
            "updated": last.total("updated_count"),
            "requests": last.total("requests"),
            "quota_units": last.total("quota_units"),
            "error_kind": failing.error_kind if failing else None,
            "error": failing.error if failing else None,
            "retry_at": _iso(failing.retry_at if failing else None),
        }
    alarms = [
        a
        for a in (
            zero_harvest_alarm(
                session, loaded.id, platform, settings.operations.zero_harvest_alarm_cycles
            ),
            credential_alarm(session, loaded.id, platform),
        )
        if a is not None
    ]
    if youtube:
        entry["quota"], quota_alarm = quota_report(session, platform, section.daily_quota, now)
        if quota_alarm is not None:
            alarms.append(quota_alarm)
    return entry, alarms


def publications(
    session: Session, loaded: LoadedCampaign | None, now: datetime
) -> tuple[dict[str, Any], list[Alarm]]:
    base = select(Publication).join(Testimony, Testimony.id == Publication.testimony_id)
    if loaded is not None:
        base = base.where(Testimony.campaign_id == loaded.id)
    sub = base.subquery()
    counts: dict[str, dict[str, int]] = {}
    for target, state, count in session.execute(
        select(sub.c.target, sub.c.state, func.count()).group_by(sub.c.target, sub.c.state)
    ):
        counts.setdefault(target, {})[state] = count
    failed = [
        {
            "id": p.id,
            "testimony_id": p.testimony_id,
            "target": p.target,
            "attempts": p.attempts,
            "error": p.last_error,
            "next_attempt_at": _iso(p.next_attempt_at),
        }
        for p in session.scalars(
            base.where(Publication.state == "failed")
            .order_by(Publication.updated_at.desc())
            .limit(20)
        )
    ]
    every = parse_duration(loaded.settings.publish.every) if loaded else timedelta(minutes=10)
    after = max(2 * every, MIN_TAKEDOWN_ALARM)
    pending = list(
        session.scalars(
            base.where(
                Publication.takedown_requested_at.is_not(None), Publication.taken_down_at.is_(None)
            ).order_by(Publication.takedown_requested_at)
        )
    )
    late = [
        p for p in pending if p.takedown_requested_at and p.takedown_requested_at <= now - after
    ]
    alarms = []
    if late:
        oldest = late[0]
        alarms.append(
            Alarm(
                "takedown",
                f"{len(late)} takedown(s) asked for more than {int(after.total_seconds() // 60)} "
                f"minutes ago are not done; oldest: publication {oldest.id} on {oldest.target} "
                f"({oldest.takedown_reason}) since {oldest.takedown_requested_at:%Y-%m-%d %H:%M} UTC"
                + (f": {oldest.last_error}" if oldest.last_error else ""),
                oldest.target,
            )
        )
    report = {"by_target": counts, "failed": failed, "takedowns_pending": len(pending)}
    return report, alarms


def gallery_alarm(session: Session, loaded: LoadedCampaign) -> Alarm | None:
    """Stands from a failed rebuild of the public gallery until one succeeds (the audit
    entries publisher/recovery.py writes for each rebuild)."""
    last = session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.subject_type == "gallery",
            AuditEntry.subject_id == loaded.id,
            AuditEntry.action.in_(("gallery.rebuilt", "gallery.rebuild-failed")),
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    if last is None or last.action != "gallery.rebuild-failed":
        return None
    shown = session.scalar(
        select(func.count())
        .select_from(Publication)
        .where(
            Publication.target == "gallery",
            Publication.takedown_requested_at.is_not(None),
            Publication.taken_down_at.is_(None),
            Publication.external_id.is_not(None),
        )
    )
    still = (
        f"{shown} withdrawn card(s) are still on the public gallery"
        if shown
        else "new cards are not on the public gallery yet"
    )
    return Alarm(
        "gallery",
        f"gallery: the rebuild at {last.at:%Y-%m-%d %H:%M} UTC failed "
        f"({last.detail.get('error', 'no detail')}); {still}. Fix that, then run "
        "`storydesk gallery` (the next publish cycle also tries again).",
        "gallery",
    )


def last_sweep(session: Session, loaded: LoadedCampaign) -> dict[str, Any] | None:
    entry = session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.action == "compliance.sweep",
            AuditEntry.subject_type == "campaign",
            AuditEntry.subject_id == loaded.id,
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    return {"at": _iso(entry.at), **entry.detail}


def build_status(session: Session, loaded: LoadedCampaign | None, now: datetime) -> dict[str, Any]:
    """Everything `status` shows, JSON-ready; `alarms` empty when healthy."""
    alarms: list[Alarm] = []
    report: dict[str, Any] = {"at": _iso(now)}
    posts = select(func.count()).select_from(Post)
    queue = select(Testimony.review_state, func.count()).group_by(Testimony.review_state)
    if loaded is not None:
        posts = posts.where(Post.campaign_id == loaded.id)
        queue = queue.where(Testimony.campaign_id == loaded.id)
    report["posts"] = session.scalar(posts) or 0
    report["queue"] = {state: count for state, count in session.execute(queue).all()}
    if loaded is not None:
        report["campaign"] = loaded.id
        report["platforms"] = []
        jobs = plan(loaded)
        for job in (j for j in jobs if j.kind == "harvest"):
            entry, found = platform_status(session, loaded, job, now)
            report["platforms"].append(entry)
            alarms += found
        report["jobs"] = {
            j.name: {
                "every": str(j.every),
                "last_started": _iso(last_started(session, loaded, j)),
                "next_due": _iso(max(next_due(session, loaded, j), now)),
            }
            for j in jobs
            if j.kind != "harvest"
        }
        report["compliance"] = last_sweep(session, loaded)
        if (broken := gallery_alarm(session, loaded)) is not None:
            alarms.append(broken)
    report["publications"], found = publications(session, loaded, now)
    alarms += found
    report["alarms"] = [asdict(a) for a in alarms]
    return report
