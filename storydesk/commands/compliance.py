from __future__ import annotations

import json

import click

from config.errors import Outcome, exit_code
from config.workers import worker_id
from storydesk.context import AppContext


@click.command(name="compliance")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def command(app: AppContext, as_json: bool) -> int:
    """The compliance sweep, now: look up stored X posts again (deleted, protected,
    suspended or withheld ones are purged and their reshares taken down), refresh or drop
    YouTube data older than 30 days, drop Instagram/Facebook posts no longer available,
    minimise posts that never matched consent and purge withdrawn people's data once their
    reshares are down. Every action is audited. Exit 0, 1 if a check failed, 75 if one
    must wait (rate limit, quota)."""
    from compliance.sweep import run_sweep
    from config.errors import TryLater
    from storydesk.ops import locks
    from storydesk.ops.actions import take_down_now
    from storydesk.ops.jobs import LEASE_TTL, lease_name

    loaded, sessions, clock = app.campaign(), app.sessions(), app.clock
    holder, name = worker_id(), lease_name(loaded, "compliance")
    if locks.claim_lease(sessions, name, holder, clock.now(), LEASE_TTL) is None:
        with sessions() as session:
            current = locks.lease_holder(session, name, clock.now())
        raise TryLater(
            f"a compliance sweep is running on {current.holder if current else 'another host'}"
        )
    try:
        take_down = take_down_now(sessions, loaded, clock, holder)
        summary = run_sweep(sessions, loaded, clock, take_down=take_down)
    finally:
        locks.release_lease(sessions, name, holder, clock.now())
    report = summary.as_dict()
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        for platform, count in sorted(summary.checked.items()):
            gone = summary.gone[platform]
            click.echo(
                f"{platform}: {count} checked, "
                + (", ".join(f"{n} {state}" for state, n in sorted(gone.items())) or "none gone")
                + (
                    f", {summary.refreshed[platform]} refreshed"
                    if summary.refreshed[platform]
                    else ""
                )
            )
        click.echo(
            f"minimised {summary.minimised} never-matched posts; purged {summary.withdrawn_purged} "
            f"withdrawn people's data ({summary.withdrawn_waiting} waiting for takedowns); "
            f"{summary.takedowns_requested} takedowns asked for"
            + (f", {summary.taken_down} done" if summary.taken_down is not None else "")
        )
        for note in summary.notes:
            click.echo(f"note: {note}")
    for problem in summary.errors + summary.try_later:
        click.echo(f"storydesk: {problem}", err=True)
    return exit_code(
        [Outcome.FAILED] * bool(summary.errors) + [Outcome.TRY_LATER] * bool(summary.try_later)
    )
