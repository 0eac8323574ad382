from __future__ import annotations

import getpass
import json
import os

import click

from config.errors import ExitCode
from storydesk.context import AppContext
from storydesk.params import ROW_ID


def reviewer(name: str | None) -> str:
    """Who is acting: --as NAME, else the login name (recorded in the audit trail)."""
    return name or os.environ.get("USER") or getpass.getuser()


def _report(outcomes: list) -> int:  # type: ignore[type-arg]
    for outcome in outcomes:
        click.echo(
            outcome.message if outcome.ok else f"storydesk: {outcome.message}", err=not outcome.ok
        )
    return ExitCode.OK if all(o.ok for o in outcomes) else ExitCode.FAILED


@click.command(name="approve")
@click.argument("ids", metavar="ID...", nargs=-1, required=True, type=ROW_ID)
@click.option("--note", help="A note kept with the decision.")
@click.option("--targets", help="Only these targets, comma-separated (e.g. x,youtube,gallery).")
@click.option(
    "--override",
    is_flag=True,
    help="Reshare copies that break a campaign rule (too long, not a video, outside the "
    "dates), or confirm a needs-check form after checking it yourself (needs --reason). "
    "Never for guardian-required or revoked consent.",
)
@click.option("--reason", help="Why the override is right (kept in the audit trail).")
@click.option(
    "--copy",
    "copy_ids",
    metavar="POST_ID",
    multiple=True,
    type=ROW_ID,
    help="Send only this copy (repeat for several; the post ids `show ID` lists): the other "
    "copies stay. Default: every copy that may go out.",
)
@click.option("--as", "as_name", metavar="NAME", help="Reviewer name (default: $USER).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def approve(
    app: AppContext,
    ids: tuple[int, ...],
    note: str | None,
    targets: str | None,
    override: bool,
    reason: str | None,
    copy_ids: tuple[int, ...],
    as_name: str | None,
    as_json: bool,
) -> int:
    """Approve testimonies for resharing. Each copy goes out only with its own evidence
    naming the form and within the campaign rules; the answer lists, copy by copy, what
    goes out and what stays and why, and the targets queued. Refused when no copy can go
    out; guardian-required and revoked consent are always refused."""
    from review.actions import approve as approve_ids

    if override and not (reason or "").strip():
        raise click.UsageError("--override needs --reason")
    chosen = [t.strip() for t in targets.split(",") if t.strip()] if targets else None
    loaded = app.campaign()
    if chosen:
        unknown = [t for t in chosen if t not in loaded.settings.publish.enabled_targets()]
        if unknown:
            raise click.UsageError(
                f"--targets: {', '.join(unknown)} is not an enabled target "
                f"({', '.join(loaded.settings.publish.enabled_targets())})"
            )
    with app.sessions()() as session, session.begin():
        outcomes = approve_ids(
            session,
            loaded,
            list(ids),
            reviewer(as_name),
            app.clock.now(),
            note,
            chosen,
            reason if override else None,
            copies=list(copy_ids) or None,
        )
    if as_json:
        click.echo(json.dumps([o.as_dict() for o in outcomes], ensure_ascii=False))
        return ExitCode.OK if all(o.ok for o in outcomes) else ExitCode.FAILED
    return _report(outcomes)


@click.command(name="reject")
@click.argument("ids", metavar="ID...", nargs=-1, required=True, type=ROW_ID)
@click.option("--reason", required=True, help="Why (kept with the decision).")
@click.option("--as", "as_name", metavar="NAME", help="Reviewer name (default: $USER).")
@click.pass_obj
def reject(app: AppContext, ids: tuple[int, ...], reason: str, as_name: str | None) -> int:
    """Reject testimonies; anything already reshared is taken down."""
    if not reason.strip():
        raise click.UsageError("--reason must say why (it is kept with the decision)")
    return _withdraw(app, ids, "reject", reviewer(as_name), reason)


@click.command(name="hold")
@click.argument("ids", metavar="ID...", nargs=-1, required=True, type=ROW_ID)
@click.option("--note", required=True, help="What is waited for (kept with the decision).")
@click.option("--as", "as_name", metavar="NAME", help="Reviewer name (default: $USER).")
@click.pass_obj
def hold(app: AppContext, ids: tuple[int, ...], note: str, as_name: str | None) -> int:
    """Put testimonies on hold; anything already reshared is taken down meanwhile."""
    if not note.strip():
        raise click.UsageError("--note must say what is waited for")
    return _withdraw(app, ids, "hold", reviewer(as_name), note)


def _withdraw(app: AppContext, ids: tuple[int, ...], action: str, by: str, why: str) -> int:
    """Reject or hold the campaign's testimonies `ids`: one transaction, then the report."""
    from review.actions import withdraw

    campaign_id = app.campaign().id
    with app.sessions()() as session, session.begin():
        outcomes = withdraw(
            session, list(ids), action, by, why, app.clock.now(), campaign_id=campaign_id
        )
    return _report(outcomes)
