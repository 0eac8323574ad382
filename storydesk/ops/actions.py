"""The jobs' real work: harvester, consent matching, publisher and compliance, wired together.

Parts not installed (yet) are skipped with a note rather than failing the cycle.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.schema import LoadedCampaign
from config.workers import worker_id
from storydesk.ops.jobs import Actions, Outcome, Runner
from storydesk.ops.logs import EventLog

if TYPE_CHECKING:
    from storydesk.context import AppContext


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def harvest_outcome(platform: str, summaries: list[Any]) -> Outcome:
    summary = summaries[0]
    detail = {
        "new": summary.new,
        "updated": summary.updated,
        "requests": summary.requests,
        "quota_units": summary.quota_units or None,
        "run": summary.run_id,
    }
    needs = "config" if summary.error_kind in ("config", "credential") else None
    return Outcome(f"harvest:{platform}", summary.status, detail, summary.error, needs)


def publish_outcome(summary: Any) -> Outcome:
    counts = summary.targets.values()
    detail = {
        "published": sum(c.published for c in counts),
        "taken_down": sum(c.taken_down for c in counts),
        "failed": sum(c.failed for c in counts),
        "waiting": sum(c.waiting for c in counts),
    }
    error = "; ".join(summary.errors) or None
    if detail["failed"]:
        needs = "config" if any(c.misconfigured for c in counts) else None
        return Outcome("publish", "failed", detail, error, needs)
    if detail["waiting"]:
        return Outcome("publish", "try-later", detail, error)
    return Outcome("publish", "ok", detail, error)


def take_down_now(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock, worker: str
) -> Callable[[], int] | None:
    """The publisher's takedowns (and reconciliation), publishing nothing new: publish_due
    with limit=0 claims no publication but settles every takedown asked for. None when
    there is no publisher or no target. Its failures are left to the publish job to report."""
    if not _have("publisher.outbox") or not loaded.settings.publish.enabled_targets():
        return None

    def take_down() -> int:
        from publisher.outbox import publish_due

        summary = publish_due(sessions, loaded, clock, limit=0, worker=worker)
        # A takedown that fails here is reported by the publish job of the same cycle (and
        # by `status`): said once, not once per job.
        return sum(c.taken_down for c in summary.targets.values())

    return take_down


def answers_by_reply(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> tuple[int, list[str]]:
    """Read the answers under our requests for consent (reading asks nobody anything, so it
    runs unattended): withdrawals by reply, and what could not be read."""
    if loaded.settings.consent.request is None:
        return 0, []
    from config.errors import StorydeskError
    from consent.requests import watch_answers

    try:
        return len(watch_answers(sessions, loaded, clock).withdrawals), []
    except StorydeskError as exc:
        return 0, [f"answers by reply: {exc.message}"]


def real_actions(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock, worker: str
) -> Actions:
    def harvest(platform: str, progress: Callable[[], None]) -> Outcome:
        from harvester.pipeline import harvest as run_harvest

        summaries = run_harvest(
            sessions, loaded, clock, [platform], lambda _platform, _count: progress()
        )
        return harvest_outcome(platform, summaries)

    def match() -> Outcome:
        if not _have("consent.matching"):
            return Outcome("match", "skipped", {"why": "consent matching not installed"})
        from consent.matching import match_all

        summary = match_all(sessions, loaded, clock)
        return Outcome("match", "ok", {"changed": summary.changed, **summary.counts})

    def publish() -> Outcome:
        if not _have("publisher.outbox"):
            return Outcome("publish", "skipped", {"why": "publisher not installed"})
        from publisher.outbox import publish_due

        return publish_outcome(publish_due(sessions, loaded, clock, worker=worker))

    def compliance() -> Outcome:
        from compliance.sweep import run_sweep

        # withdrawals by reply first: the sweep's takedowns then take their reshares down
        withdrawn, unread = answers_by_reply(sessions, loaded, clock)
        summary = run_sweep(
            sessions, loaded, clock, take_down=take_down_now(sessions, loaded, clock, worker)
        )
        problems = "; ".join(summary.errors + summary.try_later + unread) or None
        detail = dict(summary.counts())
        if withdrawn:
            detail["withdrawn_by_reply"] = withdrawn
        return Outcome("compliance", summary.status(), detail, problems)

    from storydesk.ops.alerts import alerts_job

    return Actions(
        harvest=harvest,
        match=match,
        publish=publish,
        compliance=compliance,
        alerts=alerts_job(sessions, loaded, clock.now),
    )


def build_runner(app: AppContext, log: EventLog, worker: str | None = None) -> Runner:
    """A job runner on the app's campaign, database and clock, doing the real work."""

    loaded = app.campaign()
    sessions = app.sessions()
    holder = worker or worker_id()
    actions = real_actions(sessions, loaded, app.clock, holder)
    return Runner(sessions, loaded, app.clock, actions, log, holder=holder)


def event_log(app: AppContext, as_json: bool) -> EventLog:
    """stderr events, masking the campaign's credential values should one ever slip in."""
    from storydesk.ops.logs import credential_values

    try:
        settings = app.campaign().settings
    except Exception:  # noqa: BLE001 - no campaign yet: nothing to mask, the error comes later
        settings = None
    return EventLog(as_json=as_json, clock=app.clock, secrets=credential_values(settings))
