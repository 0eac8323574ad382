"""Health at a glance, derived from what happened: per platform the last runs, quota,
cursor age; each job's last outcome; the backlog; takedowns; alarms.

Alarms (each stands until what caused it is fixed; `status` then exits 1 for monitoring),
each with what to do next:
- credential: the latest harvest could not use the credential (unset, or rejected)
- harvest-failing: a platform's last N harvests all failed
- zero-harvest: a platform's harvests run fine but found nothing new for a while (a time,
  not a count of runs: quiet hashtags are quiet at night)
- quota: at today's burn rate the quota runs out before it resets (YouTube: midnight Pacific)
- job-failed: a scheduled job (publish, compliance, ...) failed on its latest run
- takedown: a takedown was asked for and is still not done after a while, or has failed
- takedown-by-hand: a platform without a delete API: a person must delete the reshare
- gallery: the website gallery could not be rebuilt
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.errors import ExitCode
from config.schema import LoadedCampaign, parse_duration
from db.models import AuditEntry, HarvestCursor, HarvestRun, Lease, Post, Publication, Testimony
from db.outbox import of_campaign
from db.scope import WEBSITE
from db.states import PublicationState
from storydesk.ops.jobs import Job, last_started, lease_name, next_due, plan

if TYPE_CHECKING:
    from storydesk.context import AppContext

MIN_TAKEDOWN_ALARM = timedelta(hours=1)
# what a report of the whole database asks, rather than describe another campaign's reshares
_WHICH = (
    "run `storydesk status --config FILE` with the campaign's file to see which, and what to do"
)
SETUP = "(setup)"


@dataclass
class Alarm:
    kind: str  # see the module's docstring
    message: str
    platform: str | None = None  # the platform or target it concerns, if one
    action: str = ""  # what a person should do next, in words
    subject: str | None = None  # what it is about (a job, a publication), for its key

    @property
    def key(self) -> str:
        """Stable while the same problem stands: alerts are sent once per key."""
        return f"{self.kind}:{self.subject or self.platform or '-'}"


def alarm_dict(alarm: Alarm) -> dict[str, Any]:
    return {**asdict(alarm), "key": alarm.key}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def _pacific_day_start(now: datetime) -> datetime:
    from db.quota import day_start

    return day_start(now)


@dataclass
class Cycle:
    """One harvest of a platform: a run per query (Instagram has one per hashtag)."""

    runs: list[HarvestRun]

    @property
    def status(self) -> str:
        states = {r.status for r in self.runs}
        return next((s for s in ("failed", "interrupted", "try-later") if s in states), "ok")

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
        # a harvest that could not start (harvester.pipeline records it as "(setup)") is
        # a harvest of its own, never part of the one before or after it
        if not found or run.query in seen or SETUP in seen or run.query == SETUP:
            if len(found) == count:
                break
            found.append(Cycle([]))
            seen = set()
        found[-1].runs.append(run)
        seen.add(run.query)
    return found


def zero_harvest_alarm(
    session: Session, campaign_id: str, platform: str, after: timedelta, now: datetime
) -> Alarm | None:
    """Nothing new for `after` although harvests ran fine in that time, from a platform
    that used to find posts. Failures have alarms (or retries) of their own."""
    runs = HarvestRun.campaign_id == campaign_id, HarvestRun.platform == platform
    last_found = session.scalar(
        select(func.max(HarvestRun.started_at)).where(*runs, HarvestRun.new_count > 0)
    )
    if last_found is None or now - last_found < after:
        return None
    ran_fine = session.scalar(
        select(func.count())
        .select_from(HarvestRun)
        .where(*runs, HarvestRun.status == "ok", HarvestRun.started_at > last_found)
    )
    if not ran_fine:
        return None
    return Alarm(
        "zero-harvest",
        f"{platform}: no new posts for {_span(now - last_found)} (since "
        f"{last_found.astimezone(UTC):%Y-%m-%d %H:%M} UTC), though the harvests ran without "
        "error and earlier ones found posts",
        platform,
        action="check the campaign's hashtags and search the platform by hand: a changed "
        "hashtag, or a collector the platform broke? (the threshold is "
        "operations.zero_harvest_alarm_after)",
    )


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{int(delta.total_seconds() // 60)} minutes"


def failing_alarm(session: Session, campaign_id: str, platform: str, count: int) -> Alarm | None:
    recent = cycles(session, campaign_id, platform, count)
    if len(recent) < count or any(c.status not in ("failed", "interrupted") for c in recent):
        return None
    failing = recent[0].failing
    if failing is None or failing.error_kind in ("credential", "config"):
        return None  # the credential alarm says it better
    return Alarm(
        "harvest-failing",
        f"{platform}: the last {count} harvests failed; the latest, at "
        f"{failing.started_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {failing.error}",
        platform,
        action=f"read the error; `storydesk --debug harvest --platform {platform}` shows it "
        "in full; the next harvest retries by itself",
    )


def credential_alarm(session: Session, campaign_id: str, platform: str) -> Alarm | None:
    latest = cycles(session, campaign_id, platform, 1)
    failing = latest[0].failing if latest else None
    if failing is None or failing.error_kind not in ("credential", "config"):
        return None
    when = f"{failing.started_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if failing.error_kind == "credential":
        return Alarm(
            "credential",
            f"{platform}: the platform rejected our credential on {when}: {failing.error}",
            platform,
            action="renew the token or key with the platform, put the new one in the "
            f"environment of cron or the daemon, then run `storydesk harvest --platform "
            f"{platform}`",
        )
    return Alarm(
        "credential",
        f"{platform}: could not harvest on {when}: {failing.error}",
        platform,
        action="set the variable it names in the environment of cron or the daemon (see "
        f"README, Credentials), then run `storydesk harvest --platform {platform}`",
    )


class QuotaReport(TypedDict):
    """YouTube's daily quota in `status` (units; times in ISO 8601, UTC)."""

    daily: int
    used_today: int
    left_today: int
    resets_at: str | None
    runs_out_at: NotRequired[str | None]  # at today's rate, when it runs out before reset


class LastRun(TypedDict):
    """A platform's last harvest (one run per query) in `status`."""

    runs: list[int]
    started_at: str | None
    finished_at: str | None
    status: str  # ok, failed, interrupted or try-later
    new: int
    updated: int
    requests: int
    quota_units: int
    error_kind: str | None
    error: str | None
    retry_at: str | None


class PlatformStatus(TypedDict):
    """One harvested platform in `status` (status --json prints it as it is)."""

    platform: str
    every: str
    last_run: LastRun | None
    requests_today: int
    quota: QuotaReport | None  # YouTube only
    cursor_age_seconds: int | None
    next_due: str | None
    running_on: str | None  # the host harvesting it now, if one
    reads_this_month: NotRequired[int]  # X only: each post read is paid


def quota_report(
    session: Session, platform: str, credential: str, daily: int, now: datetime
) -> tuple[QuotaReport, Alarm | None]:
    """Today's units on `credential` (the variable's name): those of every campaign using
    that key, as Google counts them, and none of another key's."""
    from db import quota

    used = quota.used(session, platform, credential, now)
    start, end = _pacific_day_start(now), quota.day_end(now)
    report = QuotaReport(
        daily=daily, used_today=used, left_today=max(daily - used, 0), resets_at=_iso(end)
    )
    elapsed = (now - start).total_seconds()
    if used <= 0 or elapsed <= 0:
        return report, None
    if used >= daily:
        return report, Alarm(
            "quota",
            f"{platform}: today's quota ({daily} units) is spent until {_iso(end)}",
            platform,
            action="nothing to do now: harvesting resumes when the quota resets; if this "
            "happens daily, harvest less often (platforms.youtube.every)",
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
            action="harvest less often (platforms.youtube.every) or ask Google for more quota",
        )
    return report, None


def platform_status(
    session: Session, loaded: LoadedCampaign, job: Job, now: datetime
) -> tuple[PlatformStatus, list[Alarm]]:
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
    entry = PlatformStatus(
        platform=platform,
        every=section.every,
        last_run=None,
        requests_today=int(requests_today or 0),
        quota=None,
        cursor_age_seconds=int((now - cursor).total_seconds()) if cursor else None,
        next_due=_iso(max(next_due(session, loaded, job), now)),
        running_on=running.holder if running is not None and running.expires_at > now else None,
    )
    if last is not None:
        failing = last.failing
        entry["last_run"] = LastRun(
            runs=[r.id for r in last.runs],
            started_at=_iso(min(r.started_at for r in last.runs)),
            finished_at=_iso(
                max((r.finished_at for r in last.runs if r.finished_at), default=None)
            ),
            status=last.status,
            new=last.total("new_count"),
            updated=last.total("updated_count"),
            requests=last.total("requests"),
            quota_units=last.total("quota_units"),
            error_kind=failing.error_kind if failing else None,
            error=failing.error if failing else None,
            retry_at=_iso(failing.retry_at if failing else None),
        )
    operations = settings.operations
    alarms = [
        a
        for a in (
            credential_alarm(session, loaded.id, platform),
            failing_alarm(session, loaded.id, platform, operations.failing_alarm_runs),
            zero_harvest_alarm(
                session,
                loaded.id,
                platform,
                parse_duration(operations.zero_harvest_alarm_after),
                now,
            ),
        )
        if a is not None
    ]
    if youtube:
        entry["quota"], quota_alarm = quota_report(
            session, platform, settings.quota_credential(platform), section.daily_quota, now
        )
        if quota_alarm is not None:
            alarms.append(quota_alarm)
    if platform == "x":
        from db import quota

        # pay-per-use charges each post read: search pages and compliance look-ups
        entry["reads_this_month"] = quota.month_used(
            session, quota.X_READS, settings.quota_credential(platform), now
        )
    return entry, alarms


def _reshare_of(session: Session, row: Publication) -> str:
    """Which testimony, whose account and which URL: what a person needs to find it."""
    post = session.scalar(
        select(Post)
        .where(Post.testimony_id == row.testimony_id)
        .order_by(Post.platform == row.target, Post.id)
        .limit(1)
    )
    handle = (post.author_handle or "").lstrip("@") if post is not None else ""
    account = f"@{handle}" if handle else None
    where = row.external_url or (f"{row.target} id {row.external_id}" if row.external_id else "")
    parts = [f"testimony {row.testimony_id}"]
    if account:
        parts.append(f"by {account}")
    if where:
        parts.append(where)
    return ", ".join(parts)


def publications(
    session: Session, loaded: LoadedCampaign | None, now: datetime
) -> tuple[dict[str, Any], list[Alarm]]:
    """The reshares' figures and alarms. Without a campaign file the whole database is
    counted, which may hold several campaigns: then no reshare is described (no testimony,
    account or platform answer, which may quote a handle), only counted; the campaign file
    shows which."""
    from publisher.manual import by_hand as targets_by_hand

    hand = targets_by_hand()
    named = loaded is not None
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
            "target": p.target,
            "attempts": p.attempts,
            "next_attempt_at": _iso(p.next_attempt_at),
            # a retry is scheduled: a brief outage, not a lasting failure
            "retry_scheduled": p.next_attempt_at is not None,
        }
        | ({"testimony_id": p.testimony_id, "error": p.last_error} if named else {})
        for p in session.scalars(
            base.where(Publication.state == PublicationState.FAILED)
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
    by_hand = [p for p in pending if p.target in hand and p.external_id is not None]
    automatic = [p for p in pending if p not in by_hand]
    late = [
        p for p in automatic if p.takedown_requested_at and p.takedown_requested_at <= now - after
    ]
    # a gallery card that could not come down has the gallery's own alarm (gallery_alarm)
    refused = [p for p in automatic if p.last_error and p not in late and p.target not in WEBSITE]
    alarms = []
    for label, rows in (("are not done", late), ("failed", refused)):
        if not rows:
            continue
        oldest = rows[0]
        requested = oldest.takedown_requested_at or now
        alarms.append(
            Alarm(
                "takedown",
                f"{len(rows)} takedown(s) {label}"
                + (
                    f" more than {int(after.total_seconds() // 60)} minutes after they were "
                    "asked for"
                    if rows is late
                    else ""
                )
                + (
                    f"; oldest: publication {oldest.id} on {oldest.target} "
                    f"({_reshare_of(session, oldest)}; {oldest.takedown_reason}) since "
                    f"{requested.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
                    + (f": {oldest.last_error}" if oldest.last_error else "")
                    if named
                    else f", on {', '.join(sorted({p.target for p in rows}))}"
                ),
                oldest.target,
                action="read the error; once the platform answers again `storydesk publish` "
                "retries; if you deleted it yourself, record it with "
                f"`storydesk taken-down {oldest.id}`"
                if named
                else _WHICH,
                subject=f"{label}",
            )
        )
    if named:
        for row in by_hand:
            alarms.append(
                Alarm(
                    "takedown-by-hand",
                    f"{row.target} reshare of {_reshare_of(session, row)} must come down "
                    f"({row.takedown_reason}); {row.target} has no delete API",
                    row.target,
                    action=f"delete it in the {row.target} app, then run "
                    f"`storydesk taken-down {row.id}`",
                    subject=f"publication {row.id}",
                )
            )
    else:
        for target in sorted({p.target for p in by_hand}):
            waiting = sum(p.target == target for p in by_hand)
            alarms.append(
                Alarm(
                    "takedown-by-hand",
                    f"{waiting} {target} reshare(s) must be deleted by hand ({target} has no "
                    "delete API)",
                    target,
                    action=_WHICH,
                    subject=target,
                )
            )
    report = {
        "by_target": counts,
        "failed": failed,
        "takedowns_pending": len(pending),
        "takedowns_by_hand": [
            {"id": p.id, "target": p.target}
            | ({"reshare": _reshare_of(session, p)} if named else {})
            for p in by_hand
        ],
    }
    return report, alarms


def job_alarms(session: Session, loaded: LoadedCampaign) -> tuple[dict[str, Any], list[Alarm]]:
    """Each job's last outcome (harvests have their runs; these are the others)."""
    from db.models import JobOutcome

    outcomes = {
        o.job: o
        for o in session.scalars(select(JobOutcome).where(JobOutcome.campaign_id == loaded.id))
    }
    alarms = []
    for name, outcome in sorted(outcomes.items()):
        if outcome.status != "failed" or name.startswith("harvest:"):
            continue  # harvests: their runs tell more (see platform_status)
        times = (
            f"{outcome.failures_in_row} times in a row"
            if outcome.failures_in_row > 1
            else "on its latest run"
        )
        alarms.append(
            Alarm(
                "job-failed",
                f"{name}: failed {times}, last at "
                f"{outcome.finished_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {outcome.error}",
                None,
                action=f"read the error; `storydesk --debug {name.split(':')[0]}` runs it by hand "
                "and shows the traceback; the next cycle retries by itself",
                subject=name,
            )
        )
    report = {
        name: {
            "status": o.status,
            "error": o.error,
            "finished_at": _iso(o.finished_at),
            "failures_in_row": o.failures_in_row,
            "last_ok_at": _iso(o.last_ok_at),
        }
        for name, o in outcomes.items()
    }
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
            # the campaign's own cards: another campaign's gallery is another folder
            of_campaign(loaded.id),
            Publication.target.in_(WEBSITE),
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
        f"({last.detail.get('error', 'no detail')}); {still}",
        "gallery",
        action="fix what the error says (disk space, permissions of the folder), then run "
        "`storydesk gallery`; the next publish cycle also tries again",
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
        outcomes, found = job_alarms(session, loaded)
        alarms += found
        report["jobs"] = {
            j.name: {
                "every": str(j.every),
                "last_started": _iso(last_started(session, loaded, j)),
                "next_due": _iso(max(next_due(session, loaded, j), now)),
                "last_outcome": outcomes.get(j.name),
            }
            for j in jobs
            if j.kind != "harvest"
        }
        report["compliance"] = last_sweep(session, loaded)
        if (broken := gallery_alarm(session, loaded)) is not None:
            alarms.append(broken)
    report["publications"], found = publications(session, loaded, now)
    alarms += found
    report["alarms"] = [alarm_dict(a) for a in alarms]
    return report


def exit_code(summary: dict[str, Any]) -> int:
    """78 not configured or initialised; 1 an alarm stands; 0 healthy. (75, a database
    that cannot be reached, is raised before there is a summary.)"""
    if not summary.get("up_to_date") or not summary.get("campaign"):
        return int(ExitCode.BAD_CONFIG)
    return int(ExitCode.FAILED) if summary.get("alarms") else int(ExitCode.OK)


def database_status(app: AppContext) -> tuple[dict[str, Any], int]:
    """The whole report for the app's database and campaign, and `status`'s exit code."""
    from db import migrate

    current, head, state = migrate.schema_state(app.engine())
    summary: dict[str, Any] = {
        "database": app.display_db(),
        "schema": current,
        "schema_head": head,
        "schema_state": state,
        "up_to_date": state == "current",
    }
    problem = migrate.schema_problem(current, head, state, app.display_db())
    if problem is not None:
        action = (
            "upgrade storydesk on this host"
            if state == "newer"
            else "run `storydesk init` (with the same --db)"
        )
        summary["alarms"] = [alarm_dict(Alarm("schema", problem, action=action))]
        return summary, exit_code(summary)
    loaded = app.campaign() if app.config_path else None
    with app.sessions(check_schema=False)() as session:
        summary.update(build_status(session, loaded, app.clock.now()))
    if loaded is None:
        summary["alarms"].insert(
            0,
            alarm_dict(
                Alarm(
                    "not-configured",
                    "no campaign file: only the database can be judged",
                    action="pass --config FILE or set STORYDESK_CONFIG",
                )
            ),
        )
    return summary, exit_code(summary)
