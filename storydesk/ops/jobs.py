"""What is due, and one cycle of it: the work shared by `run-once`, the daemon and its peers.

Jobs: a harvest per enabled platform at its `every` (each followed by matching), publishing
at `publish.every`, the compliance sweep at `compliance.every`. When a job last ran comes
from the database (harvest runs; for the others the lease row, whose `acquired_at` is the
job's last start), so every host sharing the database sees the same schedule. Each job is
claimed with a lease before it runs: two hosts never run the same job at once, and a host
that finds the job just done elsewhere skips it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.errors import ConfigError, StorydeskError, TryLater
from config.errors import Outcome as Outcome_
from config.errors import exit_code as outcomes_exit_code
from config.schema import LoadedCampaign, parse_duration
from config.workers import worker_id
from db.models import HarvestRun
from db.session import transaction
from storydesk.ops import locks
from storydesk.ops.logs import EventLog

LEASE_TTL = timedelta(minutes=30)
ALERTS_EVERY = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str  # harvest:x | publish | compliance | alerts
    kind: str  # harvest | publish | compliance | alerts
    every: timedelta
    platform: str | None = None


@dataclass
class Outcome:
    job: str
    status: str  # ok | failed | try-later | skipped
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # who must act on a failure: "config" (a person must fix the file or the environment)
    needs: str | None = None


@dataclass
class Actions:
    """What the jobs call; tests inject stubs, `real_actions` wires the parts."""

    harvest: Callable[[str, Callable[[], None]], Outcome]
    match: Callable[[], Outcome]
    publish: Callable[[], Outcome]
    compliance: Callable[[], Outcome]
    alerts: Callable[[], Outcome] | None = None


def plan(loaded: LoadedCampaign) -> list[Job]:
    settings = loaded.settings
    jobs = [
        Job(f"harvest:{p}", "harvest", parse_duration(getattr(settings.platforms, p).every), p)
        for p in settings.enabled_platforms()
    ]
    jobs.append(Job("compliance", "compliance", parse_duration(settings.compliance.every)))
    if settings.publish.enabled_targets():
        jobs.append(Job("publish", "publish", parse_duration(settings.publish.every)))
    if settings.alerts.enabled():
        # after everything else in each cycle: what the cycle did is in the alarms it sends
        jobs.append(Job("alerts", "alerts", ALERTS_EVERY))
    return jobs


def lease_name(loaded: LoadedCampaign, job: str) -> str:
    return f"{loaded.id}:{job}"


def last_started(session: Session, loaded: LoadedCampaign, job: Job) -> datetime | None:
    if job.kind == "harvest":
        started: datetime | None = session.scalar(
            select(func.max(HarvestRun.started_at)).where(
                HarvestRun.campaign_id == loaded.id, HarvestRun.platform == job.platform
            )
        )
        return started
    return locks.last_started(session, lease_name(loaded, job.name))


def next_due(session: Session, loaded: LoadedCampaign, job: Job) -> datetime:
    last = last_started(session, loaded, job)
    due = EPOCH if last is None else last + job.every
    if job.kind == "harvest":
        latest = session.scalar(
            select(HarvestRun)
            .where(HarvestRun.campaign_id == loaded.id, HarvestRun.platform == job.platform)
            .order_by(HarvestRun.started_at.desc(), HarvestRun.id.desc())
            .limit(1)
        )
        # A platform that said "try later" is left alone until the time it named.
        if latest is not None and latest.retry_at is not None and latest.retry_at > due:
            due = latest.retry_at
    return due


def slack(job: Job) -> timedelta:
    """How early a job may run: the scheduler's tick is not exact to the microsecond."""
    return min(timedelta(seconds=1), job.every / 10)


def is_due(session: Session, loaded: LoadedCampaign, job: Job, now: datetime) -> bool:
    return next_due(session, loaded, job) <= now + slack(job)


def exit_code(outcomes: list[Outcome]) -> int:
    """0 all done (or nothing due), 78 a job needs its configuration fixed (a missing
    credential), 1 a job failed, 75 only "try later"."""
    return int(
        outcomes_exit_code(
            Outcome_.BAD_CONFIG if o.status == "failed" and o.needs == "config" else o.status
            for o in outcomes
        )
    )


def _raise(error: StorydeskError) -> Outcome:
    raise error


class Runner:
    """Runs jobs under leases, logging one line per event."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        loaded: LoadedCampaign,
        clock: Clock,
        actions: Actions,
        log: EventLog,
        holder: str | None = None,
        ttl: timedelta = LEASE_TTL,
    ) -> None:
        self.sessions, self.loaded, self.clock = sessions, loaded, clock
        self.actions, self.log = actions, log
        self.holder = holder or worker_id()
        self.ttl = ttl
        self.current: Job | None = None

    def due(self, jobs: list[Job]) -> list[Job]:
        now = self.clock.now()
        with self.sessions() as session:
            return [job for job in jobs if is_due(session, self.loaded, job, now)]

    def cycle(self, jobs: list[Job]) -> list[Outcome]:
        """Everything due, once: harvests (each then matched), compliance, then publishing,
        so takedowns the sweep asks for go out in the same cycle."""
        order = {"harvest": 0, "compliance": 1, "publish": 2, "alerts": 3}
        outcomes: list[Outcome] = []
        for job in sorted(self.due(jobs), key=lambda j: order[j.kind]):
            outcomes += self.run(job)
        return outcomes

    def run(self, job: Job) -> list[Outcome]:
        """Claim the job, check it is still due, run it; the job's outcome (+ matching)."""
        name = lease_name(self.loaded, job.name)
        now = self.clock.now()
        # Publish/compliance: the claim itself checks the last start, atomically.
        before = None if job.kind == "harvest" else now - job.every + slack(job)
        lease = locks.claim_lease(self.sessions, name, self.holder, now, self.ttl, before)
        if lease is None:
            self.log.info("job.skipped", job=job.name, why="running or just run elsewhere")
            return [Outcome(job.name, "skipped")]
        outcomes: list[Outcome] = []
        started = self.clock.now()
        self.current = job
        try:
            if job.kind == "harvest":
                with self.sessions() as session:
                    still_due = is_due(session, self.loaded, job, started)
                if not still_due:
                    self.log.info("job.skipped", job=job.name, why="just run elsewhere")
                    return [Outcome(job.name, "skipped")]
                self._mark_interrupted(job, started)
            self.log.info("job.start", job=job.name)
            outcome = self._call(job, name)
            outcomes.append(outcome)
            self._log_outcome(outcome, started)
            if job.kind == "harvest" and outcome.status != "skipped":
                outcomes.append(self.match())
        except BaseException:
            # Stopped mid-job (the daemon's SIGTERM): the transactions kept the data whole;
            # say so on the run rows this job left open, then let the stop go on.
            if job.kind == "harvest" and job.platform is not None:
                self._abandon_runs(job.platform, started)
            raise
        finally:
            self.current = None
            locks.release_lease(self.sessions, name, self.holder, self.clock.now())
        return outcomes

    def match(self) -> Outcome:
        name = lease_name(self.loaded, "match")
        now = self.clock.now()
        if locks.claim_lease(self.sessions, name, self.holder, now, self.ttl) is None:
            self.log.info("job.skipped", job="match", why="running elsewhere")
            return Outcome("match", "skipped")
        try:
            outcome = self._guard("match", self.actions.match)
            self._log_outcome(outcome, now)
            return outcome
        finally:
            locks.release_lease(self.sessions, name, self.holder, self.clock.now())

    def _call(self, job: Job, name: str) -> Outcome:
        if job.kind == "harvest":
            assert job.platform is not None
            renew = self._renewer(name)
            platform = job.platform
            return self._guard(job.name, lambda: self.actions.harvest(platform, renew))
        if job.kind == "publish":
            return self._guard(job.name, self.actions.publish)
        if job.kind == "alerts":
            alerts = self.actions.alerts
            if alerts is None:
                return Outcome(job.name, "skipped", {"why": "no alert channel wired"})
            return self._guard(job.name, alerts)
        return self._guard(job.name, self.actions.compliance)

    def _renewer(self, name: str) -> Callable[[], None]:
        return locks.lease_renewer(self.sessions, name, self.holder, self.clock, self.ttl)

    def _guard(self, job: str, call: Callable[[], Outcome]) -> Outcome:
        try:
            return call()
        except TryLater as exc:
            return Outcome(job, "try-later", error=exc.message)
        except ConfigError as exc:
            return Outcome(job, "failed", error=exc.message, needs="config")
        except StorydeskError as exc:
            return Outcome(job, "failed", error=exc.message)
        except Exception as exc:  # noqa: BLE001 - one job's bug must not stop the others
            from sqlalchemy.exc import DBAPIError

            if isinstance(exc, DBAPIError):  # the database, not the job: said as such
                said = self._database_error(exc)
                return self._guard(job, lambda: _raise(said))
            return Outcome(job, "failed", error=f"{type(exc).__name__}: {exc}")

    def _database_error(self, exc: Exception) -> StorydeskError:
        from sqlalchemy.exc import DBAPIError

        from db.errors import explain

        assert isinstance(exc, DBAPIError)
        bind = self.sessions.kw.get("bind")
        url = bind.url.render_as_string(hide_password=True) if bind is not None else ""
        return explain(exc, url)

    def _log_outcome(self, outcome: Outcome, started: datetime) -> None:
        finished = self.clock.now()
        seconds = (finished - started).total_seconds()
        try:
            from storydesk.ops.outcomes import record_outcome

            record_outcome(
                self.sessions,
                self.loaded.id,
                outcome.job,
                outcome.status,
                outcome.error,
                started,
                finished,
                self.holder,
            )
        except Exception as exc:  # noqa: BLE001 - the log line below still tells the outcome
            self.log.warning("job.outcome-not-recorded", job=outcome.job, note=str(exc))
        level = {"failed": "error", "try-later": "warning"}.get(outcome.status, "info")
        self.log.event(
            "job.done",
            level,
            job=outcome.job,
            status=outcome.status,
            seconds=seconds,
            error=outcome.error,
            **outcome.detail,
        )

    def _mark_interrupted(self, job: Job, started: datetime) -> None:
        from storydesk.ops.outcomes import mark_interrupted

        assert job.platform is not None
        count = mark_interrupted(self.sessions, self.loaded.id, job.platform, started)
        if count:
            self.log.warning("job.interrupted-runs", job=job.name, runs=count)

    def _abandon_runs(self, platform: str, since: datetime) -> None:
        try:
            with transaction(self.sessions) as session:
                session.execute(
                    update(HarvestRun)
                    .where(
                        HarvestRun.campaign_id == self.loaded.id,
                        HarvestRun.platform == platform,
                        HarvestRun.status == "running",
                        HarvestRun.host == socket.gethostname(),
                        HarvestRun.started_at >= since,
                    )
                    .values(
                        status="failed",
                        error_kind="failed",
                        error="abandoned: stopped mid-run; the next run resumes from the cursor",
                        finished_at=self.clock.now(),
                    )
                    .execution_options(synchronize_session=False)
                )
            self.log.warning("job.abandoned", job=f"harvest:{platform}")
        except Exception as exc:  # noqa: BLE001 - stopping matters more than this note
            self.log.warning("job.abandoned", job=f"harvest:{platform}", note=str(exc))
