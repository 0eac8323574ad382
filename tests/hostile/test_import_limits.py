"""The same consent export with over-long values gives the same result on SQLite (which
would store anything) and PostgreSQL (which refuses a value longer than its column), and
no participant's data is printed on the way."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.consent.conftest import form, write_export
from tests.sandboxed import make_setup

NOWHERE = "http://127.0.0.1:9"
PRIVATE = ("Zanele Mokoena-Dlamini", "zanele.private@example.org")


def _rows() -> list[dict[str, Any]]:
    return [
        form("R1", "Amina Kamau", city="Nairobi", x_handle="@AminaK"),
        form("R2", PRIVATE[0], city="K" * 210, email=PRIVATE[1], age=14),
        form("R3", "Léa Dubois", country="C" * 300, instagram_handle="lea.d"),
        form("R4", "N" * 400, city="Lyon"),
        form("R5" + "9" * 200, "Omar Haddad", city="Tunis"),
        form("R6", "Juma Diop", x_handle="@" + "j" * 300, signature="S" * 1000),
        form("R7", "Ana\x00 Souza", city="Porto"),
    ]


def _outcome(tmp_path: Path, db_url: str) -> tuple[int, list[str], list[dict[str, Any]], str]:
    tmp_path.mkdir()
    desk = make_setup(tmp_path, NOWHERE, db_url, consent=False)
    export = write_export(tmp_path / "forms.csv", _rows())
    outcome = desk.cli("consent", "import", str(export))
    listed = desk.cli("consent", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    records = sorted(json.loads(listed.stdout), key=lambda r: r["response_id"])
    named = sorted(re.findall(r": row (\d+): ([\w_]+)", outcome.stderr))
    return outcome.exit_code, [f"{r} {f}" for r, f in named], records, outcome.stderr


def test_over_long_values_import_alike_on_sqlite_and_postgresql(
    tmp_path: Path, sqlite_url: str, pg_server: Any
) -> None:
    from tests.conftest import new_pg_database

    on_sqlite = _outcome(tmp_path / "sqlite", sqlite_url)
    on_postgres = _outcome(tmp_path / "pg", new_pg_database(pg_server))
    code, named, records, stderr = on_sqlite
    assert (code, named) == on_postgres[:2], (on_sqlite[3], on_postgres[3])
    strip = ("id",)
    assert [{k: v for k, v in r.items() if k not in strip} for r in records] == [
        {k: v for k, v in r.items() if k not in strip} for r in on_postgres[2]
    ]
    # each over-long value is its row rejected, naming the row and the field (the first
    # one over its column's length), and the good forms are stored whatever their neighbours
    assert named == ["3 city", "4 country", "5 full_name", "6 response_id", "7 x_handle",
                     "8 full_name"]  # fmt: skip
    assert [r["response_id"] for r in records] == ["R1"]
    assert code == 65
    for text in (on_sqlite[3], on_postgres[3]):
        assert "Traceback" not in text and "unexpected error" not in text
        assert not any(value in text for value in PRIVATE), text
    assert all("\x00" not in json.dumps(r) for r in records)
