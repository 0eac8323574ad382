"""A campaign and a database for the consent tests, and small builders for form exports and
posts. No sandbox here: importing and matching never leave the machine."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from consent.parse import COLUMNS
from db.models import ConsentMatch, Post, Testimony
from tests.sandboxed import Setup, make_setup, session_factory

CAMPAIGN = "learning-never-stops"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
# Nothing listens there: importing and matching must not need the platforms.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Setup:
    """The shipped campaign on a fresh database, no forms imported yet."""
    return make_setup(tmp_path, NOWHERE, db_url, consent=False)


def form(response_id: str, full_name: str, **values: Any) -> dict[str, Any]:
    """One form as the form tool exports it; scope defaults to everything."""
    row = {"response_id": response_id, "full_name": full_name, "consent_scope": "all"}
    row.update({k: str(v) for k, v in values.items()})
    return row


def csv_text(
    rows: list[dict[str, Any]], delimiter: str = ",", columns: list[str] | None = None
) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=columns or COLUMNS, delimiter=delimiter, extrasaction="ignore"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def write_export(
    path: Path, rows: list[dict[str, Any]], delimiter: str = ",", bom: bool = False
) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + csv_text(rows, delimiter).encode())
    return path


def sessions_of(setup: Setup) -> sessionmaker[Session]:
    return session_factory(setup.db_url)  # type: ignore[no-any-return]


def add_post(
    sessions: sessionmaker[Session],
    platform: str,
    native_id: str,
    *,
    url: str | None = None,
    author_id: str | None = None,
    handle: str | None = None,
    name: str | None = None,
    text: str = "#LearningNeverStops @UNESCO",
    testimony: int | None = None,
    problems: list[str] | None = None,
    media_type: str | None = "video",
    duration: float | None = 30.0,
) -> tuple[int, int]:
    """A harvested post (and its testimony, unless it joins `testimony`): (post, testimony)."""
    with sessions.begin() as session:
        if testimony is None:
            row = Testimony(campaign_id=CAMPAIGN, created_at=NOW, updated_at=NOW)
            session.add(row)
            session.flush()
            testimony = row.id
        post = Post(
            campaign_id=CAMPAIGN,
            testimony_id=testimony,
            platform=platform,
            native_id=native_id,
            url=url or f"https://example.org/{platform}/{native_id}",
            author_id=author_id,
            author_handle=handle,
            author_name=name,
            text=text,
            problems=problems or [],
            media_type=media_type,
            duration_seconds=duration,
            harvested_at=NOW,
            updated_at=NOW,
        )
        session.add(post)
        session.flush()
        return post.id, testimony


def match_of(sessions: sessionmaker[Session], post_id: int) -> tuple[str, str | None, str | None]:
    """(state, response_id of the form, evidence kind) the matcher gave a post."""
    from db.models import ConsentRecord

    with sessions() as session:
        row = session.execute(
            select(ConsentMatch.state, ConsentRecord.response_id, ConsentMatch.evidence)
            .outerjoin(ConsentRecord, ConsentRecord.id == ConsentMatch.consent_id)
            .where(ConsentMatch.post_id == post_id)
        ).one()
        return row[0], row[1], (row[2] or {}).get("by")


FIGURES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # figures recorded by a test (record_property("figures", ...)) travel back from xdist
    # workers in the report; they are printed at the end of the run
    if report.when == "call":
        FIGURES.extend(str(v) for k, v in report.user_properties if k == "figures")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("consent figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
