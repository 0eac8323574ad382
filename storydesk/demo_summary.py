"""What the demo prints at the end: what happened, in numbers, and what to try next."""

from __future__ import annotations

import shlex

import click

from storydesk.demo import DemoReport

PLATFORMS = ("x", "youtube", "instagram", "facebook")


def _counts(title: str, counts: dict[str, int], keys: tuple[str, ...] = ()) -> None:
    names = list(keys) + sorted(k for k in counts if k not in keys)
    click.echo(f"\n{title}:")
    if not names:
        click.echo("  none")
    width = max((len(n) for n in names), default=0)
    for name in names:
        click.echo(f"  {name:<{width}}  {counts.get(name, 0):>5}")


def print_summary(report: DemoReport) -> None:
    click.echo("")
    _counts("Harvested posts", report.harvested, PLATFORMS)
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
    prefix = f"storydesk --config {config} --db {db}"
    click.echo("\nNext, try these against the demo's database:")
    for line in (
        f"{prefix} queue",
        f"{prefix} queue --consent needs-check",
        f"{prefix} show ID",
        f"{prefix} review",
        f"{prefix} status",
        f"{prefix} export --format csv --out report.csv",
    ):
        click.echo(f"  {line}")
    if report.gallery is not None:
        index = (report.gallery / "index.html").resolve()
        click.echo(f"  open the gallery: {index.as_uri()}")
    click.echo(
        "(`show`, `review` and `approve` work offline; `harvest` and `publish` need"
        " `storydesk sandbox --port PORT` running at the campaign file's base_url.)"
    )
