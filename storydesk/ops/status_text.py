"""`status` for people: a few aligned lines, alarms last and loud (colour on a terminal)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from storydesk.ops.status import PlatformStatus


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _when(value: str | None) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


def _platform_line(p: PlatformStatus) -> str:
    run = p.get("last_run")
    if run is None:
        text = f"{p['platform']:<10} never run"
    else:
        text = (
            f"{p['platform']:<10} last run {_when(run['started_at'])} {run['status']}: "
            f"{run['new']} new, {run['requests']} requests"
        )
        if run.get("error"):
            text += f" ({run['error_kind']}: {run['error']})"
    text += f"; today {p['requests_today']} requests"
    quota = p.get("quota")
    if quota:
        text += f", quota left {quota['left_today']}/{quota['daily']}"
    if p.get("reads_this_month") is not None:
        text += f"; {p['reads_this_month']} posts read this month (each is paid)"
    text += f"; cursor {_age(p.get('cursor_age_seconds'))} old"
    if p.get("running_on"):
        text += f"; running on {p['running_on']}"
    return text


def _alarm(alarm: dict[str, Any]) -> None:
    click.secho(f"ALARM:     {alarm['message']}", fg="red", bold=True)
    if alarm.get("action"):
        click.echo(f"           what to do: {alarm['action']}")


def _failed_line(failed: dict[str, Any]) -> str:
    # without a campaign file an entry has no testimony and no error (see publications)
    head = f"publication {failed['id']}"
    if "testimony_id" in failed:
        head += f" (testimony {failed['testimony_id']})"
    head += f" on {failed['target']}"
    why = f" ({failed['error']})" if "error" in failed else ""
    if failed.get("retry_scheduled"):
        return (
            f"{head}: attempt {failed['attempts']} failed{why}; "
            f"a retry is scheduled at {_when(failed['next_attempt_at'])} UTC"
        )
    return f"{head}: gave up after {failed['attempts']} attempts" + (
        f": {failed['error']}" if "error" in failed else ""
    )


def print_status(summary: dict[str, Any]) -> None:
    click.echo(f"database:  {summary['database']}")
    click.echo(f"schema:    {summary['schema'] or 'empty'} (latest {summary['schema_head']})")
    if not summary["up_to_date"]:
        for alarm in summary.get("alarms") or []:
            _alarm(alarm)
        return
    if summary.get("campaign"):
        click.echo(f"campaign:  {summary['campaign']}")
    click.echo(f"posts:     {summary['posts']}")
    queue = summary.get("queue") or {}
    click.echo("queue:     " + (", ".join(f"{k} {v}" for k, v in sorted(queue.items())) or "empty"))
    for platform in summary.get("platforms", []):
        click.echo("harvest:   " + _platform_line(platform))
    for name, job in (summary.get("jobs") or {}).items():
        line = f"{name + ':':<10} last {_when(job['last_started'])}"
        outcome = job.get("last_outcome")
        if outcome:
            line += f" {outcome['status']}"
        click.echo(line + f", next {_when(job['next_due'])}")
    sweep = summary.get("compliance")
    if sweep:
        click.echo(
            f"sweep:     {_when(sweep['at'])} {sweep.get('status', '?')}: "
            f"{sweep.get('gone', 0)} gone at the source, {sweep.get('minimised', 0)} minimised, "
            f"{sweep.get('withdrawn_purged', 0)} withdrawn purged"
        )
    pubs = summary.get("publications") or {}
    for target, states in sorted((pubs.get("by_target") or {}).items()):
        click.echo(
            f"publish:   {target:<10} " + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
        )
    for failed in pubs.get("failed", []):
        click.echo("failed:    " + _failed_line(failed))
    if pubs.get("takedowns_pending"):
        by_hand = len(pubs.get("takedowns_by_hand") or [])
        click.echo(
            f"takedowns: {pubs['takedowns_pending']} asked for and not yet done"
            + (f" ({by_hand} to do by hand)" if by_hand else "")
        )
    alarms = summary.get("alarms") or []
    if not alarms:
        click.secho("alarms:    none", fg="green")
    for alarm in alarms:
        _alarm(alarm)
