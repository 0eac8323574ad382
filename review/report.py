"""The campaign report (`export`): one row per testimony, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Publication
from review.queue import list_queue

COLUMNS = [
    "id",
    "platforms",
    "urls",
    "author",
    "role",
    "city",
    "country",
    "consent",
    "consent_id",
    "review",
    "publications",
    "problems",
    "published_at",
    "duration_seconds",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell never starts a spreadsheet formula (CSV injection): prefix a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def report_rows(session: Session) -> list[dict[str, Any]]:
    items = list_queue(session, "all", limit=None)
    published: dict[int, list[str]] = {}
    for tid, target, state in session.execute(
        select(Publication.testimony_id, Publication.target, Publication.state)
    ):
        published.setdefault(tid, []).append(f"{target}:{state}")
    return [
        {
            "id": i["id"],
            "platforms": " ".join(i["platforms"]),
            "urls": " ".join(c["url"] for c in i["copies"]),
            "author": i["author"],
            "role": i["role"],
            "city": i["city"],
            "country": i["country"],
            "consent": i["consent"],
            "consent_id": i["consent_id"],
            "review": i["review"],
            "publications": " ".join(sorted(published.get(i["id"], []))),
            "problems": "; ".join(i["problems"]),
            "published_at": i["published_at"],
            "duration_seconds": i["duration_seconds"],
        }
        for i in items
    ]


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        # JSON reports get pasted or imported into spreadsheets too: same rule for strings
        safe = [{k: safe_cell(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
        return json.dumps(safe, ensure_ascii=False, indent=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
    return out.getvalue()
