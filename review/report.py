"""The campaign report (`export`): one row per testimony, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, astuple, dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Publication
from db.outbox import of_campaign
from db.states import ConsentState, ReviewState
from review.queue import list_queue


@dataclass(frozen=True)
class ReportRow:
    """One testimony in the report; the fields in order are the CSV's columns."""

    id: int
    platforms: str  # space-separated
    urls: str  # space-separated, one a copy
    author: str | None
    role: str | None
    city: str | None
    country: str | None
    consent: ConsentState
    consent_id: str | None  # the form's response id
    review: ReviewState
    publications: str  # "target:state" space-separated
    problems: str  # "; "-separated
    published_at: str | None  # ISO 8601
    duration_seconds: float | None


COLUMNS = [f.name for f in fields(ReportRow)]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell never starts a spreadsheet formula (CSV injection): prefix a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def report_rows(session: Session, campaign_id: str) -> list[ReportRow]:
    """Campaign `campaign_id`'s testimonies, every review state."""
    items = list_queue(session, "all", limit=None, campaign_id=campaign_id)
    published: dict[int, list[str]] = {}
    for tid, target, state in session.execute(
        select(Publication.testimony_id, Publication.target, Publication.state).where(
            of_campaign(campaign_id)
        )
    ):
        published.setdefault(tid, []).append(f"{target}:{state}")
    return [
        ReportRow(
            id=i["id"],
            platforms=" ".join(i["platforms"]),
            urls=" ".join(c["url"] for c in i["copies"]),
            author=i["author"],
            role=i["role"],
            city=i["city"],
            country=i["country"],
            consent=i["consent"],
            consent_id=i["consent_id"],
            review=i["review"],
            publications=" ".join(sorted(published.get(i["id"], []))),
            problems="; ".join(i["problems"]),
            published_at=i["published_at"],
            duration_seconds=i["duration_seconds"],
        )
        for i in items
    ]


def render(rows: list[ReportRow], fmt: str) -> str:
    if fmt == "json":
        # JSON reports get pasted or imported into spreadsheets too: same rule for strings
        safe = [
            {k: safe_cell(v) if isinstance(v, str) else v for k, v in asdict(r).items()}
            for r in rows
        ]
        return json.dumps(safe, ensure_ascii=False, indent=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(value) for value in astuple(row)])
    return out.getvalue()
