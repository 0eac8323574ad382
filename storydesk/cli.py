"""The `storydesk` command: global options, a lazy registry of commands, and error handling.

Commands live in storydesk/commands/, one module each; they parse, call one domain
function, and let domain errors (config.errors) rise to here, where each becomes one line
on stderr and its exit code. Modules are imported only when their command runs, so
`storydesk --help` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import sys
import traceback
from typing import Any

import click

from config.errors import ExitCode, StorydeskError
from storydesk import __version__, collector

# name -> (module, attribute, one-line help). The help lives here so --help imports nothing.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("storydesk.commands.init", "command", "Create or upgrade the database."),
    "check-config": ("storydesk.commands.check_config", "command", "Validate a campaign file."),
    "sandbox": ("storydesk.commands.sandbox", "command", "Serve the offline platform emulator."),
    "demo": ("storydesk.commands.demo", "command", "See the whole job done on the sandbox."),
    "harvest": ("storydesk.commands.harvest", "command", "Collect new posts from the platforms."),
    "consent": ("storydesk.commands.consent", "command", "Import, list and revoke consent forms."),
    "match": ("storydesk.commands.match", "command", "Match posts to consent forms again."),
    "ask": ("storydesk.commands.ask", "command", "Ask posters to sign the consent form."),
    "queue": ("storydesk.commands.queue", "command", "List testimonies awaiting review."),
    "show": ("storydesk.commands.show", "command", "Everything about one testimony."),
    "approve": ("storydesk.commands.decide", "approve", "Approve testimonies for resharing."),
    "reject": ("storydesk.commands.decide", "reject", "Reject testimonies, with a reason."),
    "hold": ("storydesk.commands.decide", "hold", "Put testimonies on hold, with a note."),
    "review": ("storydesk.commands.review", "command", "Step through the queue, one key each."),
    "publish": ("storydesk.commands.publish", "command", "Reshare approved testimonies."),
    "taken-down": (
        "storydesk.commands.taken_down",
        "command",
        "Record a reshare taken down by hand (TikTok).",
    ),
    "gallery": ("storydesk.commands.gallery", "command", "Write the website gallery."),
    "compliance": ("storydesk.commands.compliance", "command", "Honour deletions and data age."),
    "export": ("storydesk.commands.export", "command", "Write the campaign report."),
    "status": ("storydesk.commands.status", "command", "Health: runs, quota, backlog, alarms."),
    "run-once": ("storydesk.commands.run_once", "command", "Run everything that is due (cron)."),
    "daemon": ("storydesk.commands.daemon", "command", "Run on a schedule until stopped."),
}


# Commands that only read the database: opened read-only, so they work on a file this user
# may not write and can never change it. Only `init` may create a missing database file.
# A group's sub-command is named with its group (the group's callback calls read_only_if).
READ_ONLY_COMMANDS = frozenset(
    {"queue", "show", "status", "export", "consent list", "consent show"}
)
CREATING_COMMANDS = frozenset({"init"})

# The database of the command being run, to name it in a database error (set by `cli`).
_database: list[str] = []


def _available() -> dict[str, tuple[str, str, str]]:
    # Only commands whose module exists are offered: nothing half-built is registered.
    return {
        name: entry
        for name, entry in COMMANDS.items()
        if importlib.util.find_spec(entry[0]) is not None
    }


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_available())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _available().get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command: click.Command = getattr(module, entry[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, entry[2]) for name, entry in _available().items()]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="STORYDESK_CONFIG",
    metavar="FILE",
    help="Campaign file (TOML). Env: STORYDESK_CONFIG.",
)
@click.option(
    "--db",
    "db_url",
    envvar="STORYDESK_DB",
    default="sqlite:///storydesk.db",
    show_default=True,
    metavar="URL",
    help="Database URL (sqlite:///FILE or postgresql://...). Env: STORYDESK_DB.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(__version__, prog_name="storydesk")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_url: str, debug: bool) -> None:
    """storydesk collects the campaign's video testimonies, checks them against signed
    consent forms, lets staff review them, and reshares the approved ones.

    A campaign is a file: pass it with --config or STORYDESK_CONFIG.
    Exit codes: 0 done, 1 work failed, 2 usage, 65 bad input file, 75 try later,
    78 bad configuration.
    """
    from storydesk.context import AppContext

    command = ctx.invoked_subcommand or ""
    app = AppContext(
        config_path=config_path,
        db_url=db_url,
        debug=debug,
        create_db=command in CREATING_COMMANDS,
        read_only=command in READ_ONLY_COMMANDS,
    )
    _database[:] = [db_url]
    ctx.obj = app
    ctx.call_on_close(app.dispose)


def read_only_if(ctx: click.Context) -> None:
    """Called by a command group: its sub-command opens the database read-only when
    `group sub-command` is one of READ_ONLY_COMMANDS (the database is opened later, on first
    use, so this is in time)."""
    from storydesk.context import AppContext

    app = ctx.find_object(AppContext)
    if app is not None and ctx.invoked_subcommand:
        app.read_only = f"{ctx.info_name} {ctx.invoked_subcommand}" in READ_ONLY_COMMANDS


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """An error stays one line, whatever a file or a server put in it: line breaks and
    control characters (a terminal's escape sequences too) are shown escaped."""
    return _CONTROL.sub(lambda m: json.dumps(m.group())[1:-1], text)


def main(argv: list[str] | None = None) -> None:
    collector.start()
    # pydantic looks through every installed package for plugins, which would see each value
    # it validates (the campaign's settings): storydesk uses none, and what it validates must
    # not depend on what else is installed beside it. The look was 15 ms of each command.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    code = run(argv)
    # The command is done: its database connections were closed by AppContext.dispose.
    collector.end()
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (errors become one line on stderr)."""
    from config.redact import RedactingStream

    args = sys.argv[1:] if argv is None else argv
    # Whatever a command or a library prints, no credential leaves the process.
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(sys.stdout), RedactingStream(sys.stderr)  # type: ignore[assignment]
    try:
        return _run(args)
    finally:
        sys.stdout, sys.stderr = streams


def _run(args: list[str]) -> int:
    debug = "--debug" in args
    # A byte that is not UTF-8 reaches Python as a lone surrogate, which no database, log or
    # terminal takes: refused here, once, rather than as an encoding error deep in a command.
    for n, arg in enumerate(args, start=1):
        if _SURROGATE.search(arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            click.echo(
                f"storydesk: argument {n} ({one_line(shown)[:80]}) is not UTF-8 text", err=True
            )
            return ExitCode.USAGE
    try:
        result: Any = cli.main(args=args, prog_name="storydesk", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("storydesk: stopped", err=True)
        return ExitCode.INTERRUPTED
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except StorydeskError as exc:
        return _report(exc, debug)
    except KeyboardInterrupt:
        click.echo("storydesk: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            from db.errors import explain

            return _report(explain(exc, _database[0] if _database else ""), debug)
        if debug:
            traceback.print_exc()
        click.echo(
            f"storydesk: unexpected error: {type(exc).__name__}: {one_line(str(exc))} "
            "(run with --debug for the traceback)",
            err=True,
        )
        return int(ExitCode.FAILED)
    return int(result) if isinstance(result, int) else 0


def _report(exc: StorydeskError, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    for line in exc.lines():
        click.echo(f"storydesk: {one_line(line)}", err=True)
    return int(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
