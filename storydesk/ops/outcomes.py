"""Each job's last outcome, kept in the database: what `status`, alerts and metrics read.

One row per (campaign, job), overwritten by each run; `failures_in_row` counts the failed
runs since the last success, so a job that crashes every cycle is told apart from one
that failed once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db.models import HarvestRun, JobOutcome
from db.session import transaction

INTERRUPTED = (
    "interrupted: the process stopped mid-run (killed?); the next run resumes from the cursor"
)


def record_outcome(
    sessions: sessionmaker[Session],
    campaign_id: str,
    job: str,
    status: str,
    error: str | None,
    started: datetime,
    finished: datetime,
    holder: str | None = None,
) -> None:
    if status == "skipped":
        return  # nothing happened: the last real outcome stands
    with transaction(sessions) as session:
        row = session.get(JobOutcome, (campaign_id, job))
        if row is None:
            row = JobOutcome(campaign_id=campaign_id, job=job, failures_in_row=0)
            session.add(row)
        row.status, row.error, row.holder = status, error, holder
        row.started_at, row.finished_at = started, finished
        if status == "failed":
            row.failures_in_row = (row.failures_in_row or 0) + 1
        elif status == "ok":
            row.failures_in_row, row.last_ok_at = 0, finished


def mark_interrupted(
    sessions: sessionmaker[Session], campaign_id: str, platform: str, before: datetime
) -> int:
    """Runs still "running" that no process is doing: called once the harvest's lease is
    ours (so no other run of this platform is going on), for runs started before ours. A
    killed process leaves them behind; the pages they stored are whole (each page commits
    with its cursor), so the next run simply goes on. How many were marked."""
    with transaction(sessions) as session:
        result = session.execute(
            update(HarvestRun)
            .where(
                HarvestRun.campaign_id == campaign_id,
                HarvestRun.platform == platform,
                HarvestRun.status == "running",
                HarvestRun.started_at < before,
            )
            .values(
                status="interrupted", error_kind="failed", error=INTERRUPTED, finished_at=before
            )
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
