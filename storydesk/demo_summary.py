"""What the demo prints at the end: what happened, in numbers, and what to try next."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import click

from platforms import registry
from storydesk.demo import DemoReport


def _counts(title: str, counts: dict[str, int], keys: tuple[str, ...] = ()) -> None:
    names = list(keys) + sorted(k for k in counts if k not in keys)
    click.echo(f"\n{title}:")
    if not names:
        click.echo("  none")
    width = max((len(n) for n in names), default=0)
    for name in names:
        click.echo(f"  {name:<{width}}  {counts.get(name, 0):>5}")


def storydesk_command() -> str:
    """`storydesk` as a newcomer can type it here: the bare name only when the shell finds
    this very program; otherwise the full path to this environment's script (after
    `.venv/bin/storydesk demo`, `storydesk` is not on PATH until the venv is activated)."""
    script = Path(sys.executable).parent / "storydesk"
    if script.is_file():
        found = shutil.which("storydesk")
        if found and Path(found).resolve() == script.resolve():
            return "storydesk"
        return shlex.quote(str(script.absolute()))
    return f"{shlex.quote(sys.executable)} -m storydesk.cli"


def print_summary(report: DemoReport) -> None:
    click.echo("")
    _counts("Harvested posts", report.harvested, tuple(registry.names("harvest")))
    click.echo(f"consent register: {report.consent_import}")
    _counts("Consent state of testimonies", report.consent)
    _counts("Review queue", report.review)
    _counts("Reshares made", report.reshares)
    if report.skipped:
        _counts("Not reshared, and why", report.skipped)
    _counts("Campaign rule failures (posts)", report.problems)
    for error in report.errors:
        click.echo(f"storydesk: {error}", err=True)

    config = shlex.quote(str(report.config))
    db = shlex.quote(report.db_url)
    program = storydesk_command()
    prefix = f"{program} --config {config} --db {db}"
    example = str(report.example_id) if report.example_id is not None else "ID"
    click.echo("\nNext, try these against the demo's database (they work as printed, from here):")
    for line in (
        f"{prefix} queue",
        f"{prefix} queue --consent needs-check",
        f"{prefix} show {example}",
        f"{prefix} status",
        f"{prefix} export --format csv --out report.csv",
        f"{prefix} review",
    ):
        click.echo(f"  {line}")
    if report.gallery is not None:
        index = (report.gallery / "index.html").resolve()
        click.echo(f"  open the gallery: {index.as_uri()}")
    port = report.base_url.rstrip("/").rsplit(":", 1)[-1] if report.base_url else "PORT"
    click.echo(
        f"(`harvest` and `publish` need the sandbox again, at the campaign file's port: "
        f"`{program} sandbox --port {port}` in another terminal.)"
    )
