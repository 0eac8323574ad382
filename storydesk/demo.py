"""The demo: the whole job, end to end, on the sandbox, in a folder of its own.

It does what staff and cron would do, through the same functions the commands call; the
only thing it knows about the sandbox is the base URL it writes into the campaign file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from sqlalchemy import func, select

from config.errors import ConfigError
from db.states import ConsentState, PublicationState, ReviewState
from storydesk.private_file import write_private

if TYPE_CHECKING:
    from config.schema import LoadedCampaign
    from storydesk.context import AppContext

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "campaigns" / "sandbox.toml"
REVIEWER = "demo"
# Enough cycles for every target's back-off to pass; each cycle ends when nothing is due.
MAX_PUBLISH_CYCLES = 5


@dataclass
class DemoReport:
    folder: Path
    config: Path
    db_url: str
    gallery: Path | None = None
    harvested: dict[str, int] = field(default_factory=dict)
    consent: dict[str, int] = field(default_factory=dict)
    review: dict[str, int] = field(default_factory=dict)
    reshares: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)
    consent_import: str = ""
    errors: list[str] = field(default_factory=list)
    base_url: str = ""
    # a testimony worth a look (pending, its consent to check), for the printed `show`
    example_id: int | None = None


# What the demo writes in its folder, besides the database: a file of one of these names
# may be the user's own (their campaign, their form export), never overwritten.
DEMO_FILES = ("campaign.toml", "consent.csv", "gallery")


def prepare_folder(folder: Path) -> None:
    """A fresh folder: a demo never reuses or overwrites an earlier one's database, nor a
    campaign file, consent export or gallery that is there already."""
    if (folder / "storydesk.db").exists():
        raise ConfigError(
            f"{folder}: already holds a demo database; remove the folder or pass another --dir"
        )
    taken = [name for name in DEMO_FILES if (folder / name).exists()]
    if taken:
        raise ConfigError(
            f"{folder}: already holds {', '.join(taken)}, which the demo would overwrite; "
            "nothing was written: pass a new or empty folder with --dir"
        )
    folder.mkdir(parents=True, exist_ok=True)


def write_campaign(folder: Path, base_url: str) -> Path:
    """The shipped sandbox campaign, pointed at this sandbox and this folder."""
    text = SHIPPED.read_text(encoding="utf-8").replace("http://127.0.0.1:8765", base_url)
    # the file's first comment names the sandbox's port: this sandbox's, not the default
    port = base_url.rstrip("/").rsplit(":", 1)[-1]
    text = text.replace("port 8765", f"port {port}")
    gallery = (folder / "gallery").resolve()
    text = re.sub(r'^out = "[^"]*"', f'out = "{gallery.as_posix()}"', text, flags=re.M)
    path = folder / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_demo(
    app: AppContext,
    folder: Path,
    base_url: str,
    progress_bar: bool,
    say: Callable[[str], None],
) -> DemoReport:
    from consent.matching import match_all
    from consent.register import import_export
    from db import migrate
    from storydesk.workflows import harvest_and_match

    report = DemoReport(folder, Path(app.config_path or ""), app.db_url, base_url=base_url)
    migrate.upgrade(app.engine())
    loaded = app.campaign()
    sessions = app.sessions()

    say("harvesting the campaign from every platform…")
    for run in harvest_and_match(app, loaded, None, progress_bar=progress_bar):
        if run.status != "ok":
            report.errors.append(f"harvest {run.platform}: {run.status}: {run.error}")

    say("importing the consent forms and matching posts to them…")
    export = folder / "consent.csv"
    answer = requests.get(f"{base_url}/__sandbox__/consent.csv", timeout=30)
    answer.raise_for_status()
    # names, ages, e-mails: readable by its owner only, as the database is
    write_private(export, answer.content.decode("utf-8"))
    imported = import_export(sessions, loaded, export, app.clock.now(), REVIEWER)
    match_all(sessions, loaded, app.clock)
    report.consent_import = f"{imported.new} forms imported" + (
        f", {len(imported.rejected)} rows rejected (see the lines above)"
        if imported.rejected
        else ""
    )
    for line in imported.rejected:
        say(f"consent export: {line}")

    say(f'approving the cleanly consented testimonies as reviewer "{REVIEWER}"…')
    approve_clean(app, loaded)

    say("publishing to every target…")
    publish_all(app, loaded, report)
    collect_figures(app, loaded, report)
    return report


def approve_clean(app: AppContext, loaded: LoadedCampaign) -> int:
    """Consent matched and no campaign rule broken: what a careful reviewer would approve."""
    from review.actions import approve
    from review.queue import list_queue

    with app.sessions().begin() as session:
        rows = list_queue(
            session,
            ReviewState.PENDING,
            consent=ConsentState.MATCHED,
            limit=None,
            campaign_id=loaded.id,
        )
        clean = [r["id"] for r in rows if not r["problems"]]
        outcomes = approve(session, loaded, clean, REVIEWER, app.clock.now(), note="demo run")
    return sum(1 for o in outcomes if o.ok)


def publish_all(app: AppContext, loaded: LoadedCampaign, report: DemoReport) -> None:
    from publisher.gallery import build_gallery
    from publisher.outbox import publish_due

    for _ in range(MAX_PUBLISH_CYCLES):
        summary = publish_due(app.sessions(), loaded, app.clock)
        report.errors.extend(summary.errors)
        report.gallery = summary.gallery or report.gallery  # rebuilt when it changed
        if not any(c.published or c.waiting for c in summary.targets.values()):
            break
    if report.gallery is None:  # nothing approved: still show the (empty) gallery
        report.gallery = build_gallery(app.sessions(), loaded)


def collect_figures(app: AppContext, loaded: LoadedCampaign, report: DemoReport) -> None:
    from db.models import Post, Publication, Testimony

    with app.sessions()() as session:
        report.harvested = dict(
            session.execute(select(Post.platform, func.count()).group_by(Post.platform)).all()
        )
        report.consent = dict(
            session.execute(
                select(Testimony.consent_state, func.count()).group_by(Testimony.consent_state)
            ).all()
        )
        report.review = dict(
            session.execute(
                select(Testimony.review_state, func.count()).group_by(Testimony.review_state)
            ).all()
        )
        report.example_id = session.scalar(
            select(Testimony.id)
            .where(Testimony.review_state == ReviewState.PENDING)
            .order_by(Testimony.consent_state != ConsentState.NEEDS_CHECK, Testimony.id)
            .limit(1)
        )
        states = session.execute(
            select(
                Publication.target, Publication.state, Publication.skip_reason, func.count()
            ).group_by(Publication.target, Publication.state, Publication.skip_reason)
        ).all()
        problems: Counter[str] = Counter()
        for (found,) in session.execute(select(Post.problems)):
            # "over 60 s (64 s)" and "over 60 s (70 s)" are one rule
            problems.update({re.sub(r" \(.*\)$", "", p) for p in found})
    report.reshares = {t: 0 for t in loaded.settings.publish.enabled_targets()}
    for target, state, reason, count in states:
        if state == PublicationState.DONE:
            report.reshares[target] = report.reshares.get(target, 0) + count
        elif state == PublicationState.SKIPPED:
            report.skipped[f"{target}: {reason}"] = count
    report.problems = dict(problems.most_common())
