"""`storydesk consent import FILE`: the form tool's export in its dialects, provenance,
re-imports, updates with history, and bad rows reported one by one."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tests.consent.conftest import NOWHERE, form, write_export
from tests.sandboxed import Setup, make_setup

FORMS = [
    form("R1", "Amina Kamau", city="Nairobi", x_handle="@AminaK", form_version="2026-1"),
    form("R2", "Léa Dubois", city="Lyon", instagram_handle="lea.d", form_version="2026-1"),
    form("R3", "李娜", city="Beijing", age=15, guardian_name="Wang Fang", guardian_signed="yes"),
]


SUMMARY = re.compile(
    r": (?P<rows>\d+) rows: (?P<new>\d+) new, (?P<updated>\d+) updated, "
    r"(?P<unchanged>\d+) unchanged, (?P<rejected>\d+) rejected(?:, (?P<blank>\d+) blank)?; "
    r"(?P<revoked>\d+) revoked"
)


def accounted(outcome: Any, rows: int) -> dict[str, int]:
    """The import's summary, checked to account for each of the file's `rows` (the header
    aside) exactly once: stored (new, updated, unchanged), rejected with its row named on
    stderr, or blank."""
    found = SUMMARY.search(outcome.stdout)
    assert found, outcome.stdout + outcome.stderr
    counts = {k: int(v or 0) for k, v in found.groupdict().items()}
    assert counts["rows"] == rows, (counts, outcome.stderr)
    stored = counts["new"] + counts["updated"] + counts["unchanged"]
    assert stored + counts["rejected"] + counts["blank"] == rows, counts
    named = [int(m) for m in re.findall(r": row (\d+): ", outcome.stderr)]
    assert len(named) == len(set(named)) == counts["rejected"], outcome.stderr
    assert all(2 <= n <= rows + 1 for n in named), named
    assert outcome.exit_code == (65 if counts["rejected"] else 0), outcome.stderr
    return counts


def records(setup: Setup) -> list[dict[str, Any]]:
    outcome = setup.cli("consent", "list", "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return list(json.loads(outcome.stdout))


def show(setup: Setup, ident: str) -> dict[str, Any]:
    outcome = setup.cli("consent", "show", ident, "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return dict(json.loads(outcome.stdout))


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(",", False), (",", True), (";", False), (";", True)]
)
def test_csv_dialects_import_alike(desk: Setup, delimiter: str, bom: bool) -> None:
    export = write_export(desk.path / "forms.csv", FORMS, delimiter, bom)
    outcome = desk.cli("consent", "import", str(export))
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stderr == ""
    counts = accounted(outcome, 3)
    assert (counts["new"], counts["revoked"]) == (3, 0)
    listed = {r["response_id"]: r for r in records(desk)}
    assert set(listed) == {"R1", "R2", "R3"}
    # the BOM does not stick to the first column's name, nor accents get mangled
    assert listed["R2"]["full_name"] == "Léa Dubois"
    assert listed["R3"]["full_name"] == "李娜"
    assert show(desk, "R1")["x_handle"] == "@AminaK"


def test_a_cell_may_hold_newlines_and_excel_serial_dates(desk: Setup) -> None:
    rows = [
        form(
            "R1",
            "Amina Kamau",
            video_urls="https://youtu.be/abcdefghijk\nhttps://x.com/AminaK/status/42",
            consent_scope="website\nsocial",
            submitted_at="45413",  # Excel's day 45413 is 2024-05-01
            date_of_birth="40179",  # 2010-01-01
            expires_at="46023.5",  # 2026-01-01 12:00
        )
    ]
    export = write_export(desk.path / "forms.csv", rows, ";")
    outcome = desk.cli("consent", "import", str(export))
    assert outcome.exit_code == 0, outcome.stderr
    record = show(desk, "R1")
    assert record["video_urls"] == [
        "https://youtu.be/abcdefghijk",
        "https://x.com/AminaK/status/42",
    ]
    assert record["consent_scope"] == ["website", "social"]
    assert record["date_of_birth"] == "2010-01-01"
    assert record["expires_at"].startswith("2026-01-01 12:00")
    assert record["source_row"] == 2


def test_xlsx_export_imports_with_dates_and_numbers(desk: Setup) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    header = ["response_id", "full_name", "age", "date_of_birth", "city", "consent_scope",
              "form_version", "submitted_at"]  # fmt: skip
    sheet.append(header)
    sheet.append(["R7", "Mateo García", 12, datetime(2014, 3, 9), "Madrid", "all", "2026-2",
                  datetime(2026, 4, 2, 9, 30)])  # fmt: skip
    sheet.append([8, "Ana Silva", 34.0, None, "Lima", "website", 3, None])
    path = desk.path / "forms.xlsx"
    book.save(path)
    outcome = desk.cli("consent", "import", str(path))
    assert outcome.exit_code == 0, outcome.stderr
    mateo = show(desk, "R7")
    assert (mateo["age"], mateo["date_of_birth"], mateo["form_version"]) == (
        12,
        "2014-03-09",
        "2026-2",
    )
    assert mateo["source_file"] == str(path) and mateo["source_row"] == 2
    ana = show(desk, "8")  # a numeric response_id cell becomes its text
    assert ana["full_name"] == "Ana Silva" and ana["age"] == 34
    assert ana["source_row"] == 3


def test_each_record_keeps_its_source_file_row_and_form_version(desk: Setup) -> None:
    export = write_export(desk.path / "spring.csv", FORMS)
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    record = show(desk, "R2")
    assert record["source_file"] == str(export)
    assert record["source_row"] == 3  # the header is row 1
    assert record["form_version"] == "2026-1"
    assert record["version"] == 1 and record["history"] == []


def test_importing_the_same_export_again_changes_nothing(desk: Setup) -> None:
    export = write_export(desk.path / "forms.csv", FORMS)
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    before = [show(desk, r) for r in ("R1", "R2", "R3")]
    again = desk.cli("consent", "import", str(export))
    assert accounted(again, 3)["unchanged"] == 3
    assert [show(desk, r) for r in ("R1", "R2", "R3")] == before


def test_an_updated_row_updates_the_record_and_keeps_its_history(desk: Setup) -> None:
    first = write_export(desk.path / "march.csv", FORMS)
    assert desk.cli("consent", "import", str(first)).exit_code == 0
    changed = [dict(FORMS[0], city="Mombasa", form_version="2026-2"), FORMS[1], FORMS[2]]
    second = write_export(desk.path / "april.csv", changed)
    outcome = desk.cli("consent", "import", str(second))
    assert (accounted(outcome, 3)["updated"], accounted(outcome, 3)["unchanged"]) == (1, 2)
    record = show(desk, "R1")
    assert (record["city"], record["form_version"], record["version"]) == ("Mombasa", "2026-2", 2)
    assert record["source_file"] == str(second)
    [previous] = record["history"]
    assert previous["city"] == "Nairobi" and previous["form_version"] == "2026-1"
    assert previous["source_file"] == str(first) and previous["version"] == 1
    assert len(records(desk)) == 3


def test_bad_rows_are_named_on_stderr_and_the_good_rows_imported(desk: Setup) -> None:
    rows = [
        FORMS[0],
        form("R2", "Léa Dubois", age="twelve"),
        form("R3", "", city="Lyon"),
        FORMS[1] | {"response_id": "R4"},
        form("R5", "Omar Haddad", submitted_at="next tuesday"),
        form("R4", "Someone Else"),  # the same response_id twice in one file
        form("R6", "Juma Diop", guardian_signed="maybe"),
    ]
    export = write_export(desk.path / "forms.csv", rows)
    outcome = desk.cli("consent", "import", str(export))
    assert outcome.exit_code == 65
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 5, outcome.stderr
    expected = {3: "age", 4: "full_name", 6: "submitted_at", 7: "R4", 8: "guardian_signed"}
    for line, (row, reason) in zip(lines, sorted(expected.items()), strict=True):
        assert f"{export}: row {row}: " in line and reason in line, line
    assert "Traceback" not in outcome.stderr
    counts = accounted(outcome, 7)
    assert (counts["new"], counts["rejected"]) == (2, 5)
    assert {r["response_id"] for r in records(desk)} == {"R1", "R4"}
    assert show(desk, "R4")["full_name"] == "Léa Dubois"


def test_a_missing_required_column_refuses_the_file_in_one_line(desk: Setup) -> None:
    export = desk.path / "forms.csv"
    export.write_text("response_id,name,city\nR1,Amina Kamau,Nairobi\n")
    outcome = desk.cli("consent", "import", str(export))
    assert outcome.exit_code == 65
    [line] = outcome.stderr.strip().splitlines()
    assert str(export) in line and "full_name" in line
    assert outcome.stdout == ""
    assert records(desk) == []


def test_the_campaign_file_maps_other_column_names(tmp_path: Path, db_url: str) -> None:
    setup = make_setup(tmp_path, NOWHERE, db_url, consent=False)
    mapping = 'columns = { response_id = "Response ID", full_name = "Your name" }'
    setup.config.write_text(
        setup.config.read_text().replace("[consent]\n", f"[consent]\n{mapping}\n", 1)
    )
    export = tmp_path / "forms.csv"
    export.write_text("Response ID,Your name,City\nR1,Amina Kamau,Nairobi\n")
    outcome = setup.cli("consent", "import", str(export))
    assert outcome.exit_code == 0, outcome.stderr
    record = show(setup, "R1")
    assert (record["full_name"], record["city"]) == ("Amina Kamau", "Nairobi")


def test_a_misspelled_column_mapping_is_refused_and_nothing_stored(
    tmp_path: Path, db_url: str
) -> None:
    # `vidoe_urls = ...` left the video links unread: exit 0, the forms stored without them
    setup = make_setup(tmp_path, NOWHERE, db_url, consent=False)
    mapping = 'columns = { vidoe_urls = "Links to your video" }'
    setup.config.write_text(
        setup.config.read_text().replace("[consent]\n", f"[consent]\n{mapping}\n", 1)
    )
    export = tmp_path / "forms.csv"
    export.write_text(
        "response_id,full_name,Links to your video\nR1,Amina Kamau,https://x.com/a/status/1\n"
    )
    outcome = setup.cli("consent", "import", str(export))
    assert outcome.exit_code == 78, outcome.stderr
    [line] = outcome.stderr.strip().splitlines()
    assert line.startswith(f"storydesk: {setup.config}: consent.columns.vidoe_urls: not a column")
    assert "did you mean video_urls?" in line
    assert records(setup) == []
    # check-config, run before any import, says the same
    checked = setup.cli("check-config")
    assert checked.exit_code == 78, checked.stdout
    assert checked.stderr.strip() == line


def test_not_utf8_is_refused_with_a_hint(desk: Setup) -> None:
    export = desk.path / "forms.csv"
    export.write_bytes("response_id,full_name\nR1,Léa Dubois\n".encode("utf-16"))
    outcome = desk.cli("consent", "import", str(export))
    assert outcome.exit_code == 65
    assert "UTF-8" in outcome.stderr and str(export) in outcome.stderr
    assert records(desk) == []


def test_a_revoked_flag_in_a_reimported_export_revokes(desk: Setup) -> None:
    export = write_export(desk.path / "forms.csv", FORMS)
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    revoked = write_export(desk.path / "later.csv", [FORMS[0] | {"revoked": "yes"}, *FORMS[1:]])
    outcome = desk.cli("consent", "import", str(revoked))
    counts = accounted(outcome, 3)
    assert (counts["updated"], counts["unchanged"], counts["revoked"]) == (0, 3, 1)
    record = show(desk, "R1")
    assert record["state"] == "revoked" and record["revoke_reason"] == "revoked in the form export"
    assert record["revoked_at"] is not None and record["revoked_by"]
