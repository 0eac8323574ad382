from __future__ import annotations

import json
from pathlib import Path

import click

from config.errors import ExitCode
from db.states import FormState, RequestState
from storydesk.commands.decide import reviewer
from storydesk.context import AppContext
from storydesk.params import FORM_ID


@click.group(name="consent")
@click.pass_context
def command(ctx: click.Context) -> None:
    """The consent register: the signed forms, who they cover, and withdrawals."""
    from storydesk.cli import read_only_if

    read_only_if(ctx)


@command.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "as_name", metavar="NAME", help="Who imports (default: $USER).")
@click.pass_obj
def import_(app: AppContext, file: Path, as_name: str | None) -> int:
    """Import the form tool's export (CSV or XLSX), streamed in batches: every row is
    stored or rejected, each rejected row named on stderr with its row number and field,
    and the exit code is then 65. A row marked revoked withdraws consent even when the
    rest of it is rejected. Posts are matched again afterwards."""
    from consent.matching import match_all
    from consent.register import import_export
    from storydesk.cli import one_line

    loaded = app.campaign()
    sessions = app.sessions()

    def say(line: str) -> None:
        click.echo(f"storydesk: {one_line(line)}", err=True)

    report = import_export(
        sessions, loaded, file, app.clock.now(), reviewer(as_name), on_reject=say
    )
    if report.unused_columns:
        say(
            f"{file}: not imported (not a column storydesk reads; map it under [consent]"
            f" columns if it should be): {', '.join(report.unused_columns)[:300]}"
        )
    summary = match_all(sessions, loaded, app.clock)
    blank = f", {report.blank} blank" if report.blank else ""
    click.echo(
        f"{file}: {report.rows} rows: {report.new} new, {report.updated} updated,"
        f" {report.unchanged} unchanged, {report.rejected_rows} rejected{blank};"
        f" {report.revoked} revoked"
    )
    click.echo("consent: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items())))
    if summary.reopened:
        click.echo(
            f"review: {summary.reopened} approved testimony(ies) back in the queue: they now "
            "rely on another consent form (what went out on the old one comes down)"
        )
    return ExitCode.BAD_INPUT if report.rejected_rows else ExitCode.OK


@command.command(name="list")
@click.option("--state", type=click.Choice([s.value for s in FormState]), help="Only these forms.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def list_(app: AppContext, state: str | None, as_json: bool) -> None:
    """List the consent forms with how many posts each covers. Every `consent` command
    names a form by the response id listed here."""
    from consent.views import list_records

    rows = list_records(app.sessions(), app.campaign_id(), state)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from storydesk.tables import print_table

    print_table(
        ["response_id", "full_name", "state", "posts"],  # the name every command takes
        rows,
        title="Consent forms",
        empty="No consent forms imported yet.",
    )


@command.command(name="show")
@click.argument("ident", metavar="ID", type=FORM_ID)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def show(app: AppContext, ident: str, as_json: bool) -> None:
    """One form, named by its response id (the internal id works when no form has it as
    response id): its fields, history, and the posts matched and why."""
    from consent.views import show_record

    data = show_record(app.sessions(), app.campaign().id, ident)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        return
    for key, value in data.items():
        if key in ("posts", "history"):
            continue
        click.echo(f"{key:>22}: {value if value not in (None, '', []) else '-'}")
    click.echo(f"\nposts ({len(data['posts'])}):")
    for post in data["posts"]:
        click.echo(f"  {post['platform']:<9} {post['url']}  {post['state']} by {post['by']}")
    if data["history"]:
        click.echo(f"\nearlier versions: {len(data['history'])}")


@command.command(name="revoke")
@click.argument("ident", metavar="ID", type=FORM_ID)
@click.option(
    "--reason", required=True, help="Why consent was withdrawn (kept in the audit trail)."
)
@click.option("--as", "as_name", metavar="NAME", help="Who records it (default: $USER).")
@click.pass_obj
def revoke(app: AppContext, ident: str, reason: str, as_name: str | None) -> None:
    """Withdraw a consent form, named by its response id as for `consent show`: its
    testimonies become `revoked` and every reshare of them is queued for takedown (done by
    the next `publish`)."""
    from consent.register import revoke as revoke_record

    record, count = revoke_record(
        app.sessions(), app.campaign(), ident, reason, reviewer(as_name), app.clock.now()
    )
    click.echo(
        f"consent {record.response_id} revoked; {count} testimon"
        f"{'y' if count == 1 else 'ies'} queued for takedown"
    )


@command.command(name="requests")
@click.option(
    "--state",
    type=click.Choice([s.value for s in RequestState]),
    help="Only these requests.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def requests_(app: AppContext, state: str | None, as_json: bool) -> None:
    """The requests for consent sent by `storydesk ask`: asked, reminded, answered (a form
    came back with the request's code), expired (no answer within
    consent.request.expire_after) or withdrawn by reply; with opt-ins by reply."""
    from consent.requests import list_requests

    rows = list_requests(app.sessions(), app.campaign(), app.clock.now(), state)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from storydesk.tables import print_table

    shown = [
        {
            **row,
            "asked": (row["asked_at"] or "-")[:16],
            "form": row["consent_id"] or "-",
            "opt-in": row["opt_in_post_id"] or "-",
        }
        for row in rows
    ]
    print_table(
        ["id", "testimony_id", "platform", "via", "state", "asked", "code", "form", "opt-in"],
        shown,
        title="Requests for consent",
        empty="No requests for consent yet (`storydesk ask ID`).",
    )


@command.command(name="answers")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.pass_obj
def answers(app: AppContext, as_json: bool) -> None:
    """Read the answers under the posts asked by reply (safe for cron: it only reads). The
    campaign's opt-in hashtag from the poster is recorded as intent (a signed form is
    still needed); its withdrawal hashtag from the poster withdraws consent like
    `consent revoke`: every reshare comes down in the next publish, with the reply as
    proof. The same hashtags from anyone else change nothing."""
    from consent.requests import watch_answers

    summary = watch_answers(app.sessions(), app.campaign(), app.clock)
    if as_json:
        click.echo(json.dumps(vars(summary), ensure_ascii=False, indent=1))
        return
    for line in summary.withdrawals + summary.opt_ins + summary.ignored:
        click.echo(line)
    if not (summary.withdrawals or summary.opt_ins or summary.ignored):
        click.echo("No new answers by reply.")
