"""The bytes the import stores stay the bytes it stored before it was made faster: a varied
export (bad rows, repeats within and across batches, withdrawals, non-ASCII text, every kind
of cell), then a second export with changes, then the second again, each stored row of
consent_records and audit_log compared, value and SQLite storage class, with a capture made
by the code as it was (data/import_stored.json; `python -m tests.consent.test_import_stored
PATH` writes it again, after a change that is meant to change the stored bytes).

SQLite only: the speed-ups it guards are SQLite's, and a capture is one engine's bytes."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from config.loader import load_campaign
from consent.parse import COLUMNS
from consent.register import import_export
from db.session import make_session_factory
from tests.consent.conftest import NOW, form
from tests.sandboxed import SHIPPED

DATA = Path(__file__).parent / "data" / "import_stored.json"
BATCH = 4  # small: repeats and withdrawals cross batches

FULL = {
    "submitted_at": "2026-03-04T10:00:00+02:00", "age": "34", "city": "Nairobi",
    "country": "Kenya", "role": "learner", "email": "amina@example.org",
    "x_handle": "@AminaK", "youtube_channel": "UC0001", "instagram_handle": "amina.k",
    "facebook_profile": "https://facebook.com/amina", "tiktok_handle": "@amina",
    "linkedin_profile": "https://www.linkedin.com/in/amina", "bluesky_handle": "amina.bsky",
    "video_urls": "https://youtu.be/a1;https://x.com/AminaK/status/1",
    "consent_scope": "website;social", "expires_at": "31/12/2028", "signature": "A. Kamau",
    "form_version": "2026-1", "video_file": "amina.mp4",
}  # fmt: skip
FIRST: list[dict[str, Any] | bytes] = [
    form("R001", "Amina Kamau", **FULL),
    form("R026", "Kofi Mensah", submitted_at="2026-03-04T08:00:00Z"),  # R001's moment, in UTC
    form("R002", "Léa Dubois", city="Lyon", submitted_at="2026-03-04 10:00:00"),
    form("R003", "李娜", age=15, date_of_birth="2011-01-02", guardian_name="王芳",
         guardian_relationship="mother", guardian_signed="yes", city="Beijing"),
    form("R004", ""),  # no name
    form("R005", "Omar Haddad", revoked="yes", video_urls="https://youtu.be/o5"),
    form("R006", "Ana Silva", submitted_at="03/04/2026"),  # reads two ways
    form("R001", "Someone Else"),  # repeats row 2, in another batch
    form("R007", "Juma Diop", age="abc", revoked="yes"),  # rejected; withdraws nothing stored
    form("R002", "Léa Dubois", revoked="yes"),  # a repeat that withdraws R002
    b'R008,Mateo Garc\xc3\xada,"Lima\n',  # a quote never closed
    b"R009,Kofi Mensah,Accra,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,too,many",
    b",,,,",
    form("R010", "Priya N", age=16, guardian_signed="maybe"),
    form("R011", "Zoë 😀 Nguyen", code="RQ-ABC", consent_scope="x;youtube",
         expires_at="45123", tiktok_handle="@zoe"),
    form("R012", "Noah Rossi", consent_scope="moon"),
    form("R013", 'Quote "Q" Person', video_urls="https://a.example/1\nhttps://b.example/2",
         consent_scope="website, tiktok"),
    form("R014", "N" * 300),  # longer than the column
    form("R015", "Nul\x00Byte"),
    b"R016,Bad \xff Byte,Krak\xc3\xb3w,,\n",
    form("R017", "Mei Tanaka", city="Osaka", date_of_birth="24.12.1990"),
    form("R017", "Mei Tanaka", city="Osaka"),  # a repeat in the same batch
    form("R018", "Tunde Okafor", revoked="2026-04-01"),
    form("R019", "Aisha Santos", expires_at="2027-01-01T00:00:00Z"),
    form("R019", "Aisha Santos", age="x", revoked="yes"),  # rejected, withdraws R019
    form("R020", "Lukas Kowalski", age="41.0", role="teacher", consent_scope=""),
    form("R021", "Zanele Ivanova", submitted_at="2026-05-01 08:30", revoked="no"),
    form("R022", "Ivan %s Ivanov", email="%d@example.org", revoked="maybe"),
    form("R023", "Chloé Santos", submitted_at="13/02/2026 14:05", consent_scope="all"),
    form("R020", "Lukas Kowalski", age="x", revoked="yes"),  # withdraws R020, 2 batches on
]  # fmt: skip
SECOND: list[dict[str, Any] | bytes] = [
    form("R001", "Amina Kamau", **FULL),  # unchanged
    form("R002", "Léa Dubois", city="Paris"),  # changed, and revoked before
    form("R003", "李娜", age=16, date_of_birth="2011-01-02", guardian_name="王芳",
         guardian_relationship="mother", guardian_signed="yes", city="Shanghai"),
    form("R004", "Fatima Haddad", city="Cairo"),  # rejected before, now stored
    form("R011", "Zoë 😀 Nguyen", code="RQ-ABC", consent_scope="x;youtube",
         expires_at="45123", tiktok_handle="@zoe", revoked="yes"),  # withdrawn, unchanged
    form("R013", "Quote Person", age="-1", revoked="yes"),  # rejected, withdraws R013
    form("R005", "Omar Haddad", revoked="yes", video_urls="https://youtu.be/o5"),
    form("R024", "Carlos Diop", revoked="yes"),  # new and withdrawn
    form("R025", "Sofía García", video_urls="https://youtu.be/s25"),
    form("R025", "Sofía García"),  # repeats
    form("R003", "李娜"),  # repeats
    form("R020", "Lukas Kowalski", age="42", role="teacher"),
]  # fmt: skip


def export_bytes(rows: list[dict[str, Any] | bytes]) -> bytes:
    """The rows as a form tool writes them; a bytes row goes in as it is (a damaged one)."""
    out = io.StringIO()
    csv.writer(out).writerow(COLUMNS)
    data = out.getvalue().encode()
    for row in rows:
        if isinstance(row, bytes):
            data += row.rstrip(b"\n") + b"\r\n"
            continue
        out = io.StringIO()
        csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore").writerow(row)
        data += out.getvalue().encode()
    return data


def _cell(value: Any) -> list[Any]:
    """A stored value with its storage class: [class, value] (BLOBs as hex)."""
    kind = type(value).__name__
    return [kind, value.hex() if isinstance(value, bytes) else value]


def dump(path: Path) -> dict[str, Any]:
    with sqlite3.connect(path) as connection:
        tables = {}
        for table in ("consent_records", "audit_log"):
            cursor = connection.execute(f"SELECT * FROM {table} ORDER BY id")
            names = [d[0] for d in cursor.description]
            tables[table] = [dict(zip(names, map(_cell, row), strict=True)) for row in cursor]
    connection.close()
    return tables


def imported(folder: Path, url: str) -> dict[str, Any]:
    """The three imports (the first export, the second, the second again), from `folder`:
    the stored source_file is the name given, so a relative name keeps it free of where the
    test runs. Returns what the database then holds, and what each import reported."""
    from db.session import make_engine

    loaded = load_campaign(SHIPPED)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    reports = []
    here = Path.cwd()
    os.chdir(folder)
    try:
        for name, rows in (("forms.csv", FIRST), ("forms-2.csv", SECOND), ("forms-2.csv", None)):
            if rows is not None:
                Path(name).write_bytes(export_bytes(rows))
            lines: list[str] = []
            report = import_export(
                sessions, loaded, Path(name), NOW, "kim", on_reject=lines.append, batch=BATCH
            )
            reports.append({**vars(report), "rejected": lines})
    finally:
        os.chdir(here)
    engine.dispose()
    return {"reports": reports, **dump(Path(url.removeprefix("sqlite:///")))}


def test_the_stored_bytes_are_those_captured(tmp_path: Path, sqlite_url: str) -> None:
    got = imported(tmp_path, sqlite_url)
    want = json.loads(DATA.read_text(encoding="utf-8"))
    assert got["reports"] == want["reports"]
    for table in ("consent_records", "audit_log"):
        assert len(got[table]) == len(want[table]), table
        for row, expected in zip(got[table], want[table], strict=True):
            assert row == expected, (table, row["id"])
    # the capture holds what it is meant to guard
    actions = {row["action"][1] for row in want["audit_log"]}
    assert actions == {"consent.new", "consent.updated", "consent.revoked"}


if __name__ == "__main__":  # python -m tests.consent.test_import_stored DATA (a new capture)
    import shutil
    import tempfile

    from db import migrate
    from db.session import make_engine

    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tests.consent.test_import_stored PATH")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = f"sqlite:///{folder / 'storydesk.db'}"
        migrate.upgrade(make_engine(url))
        (folder / "work").mkdir()
        captured = imported(folder / "work", url)
        shutil.rmtree(folder / "work")
    Path(sys.argv[1]).write_text(
        json.dumps(captured, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
