"""`storydesk consent import` never loses a form silently: stray quotes, doubled headers,
unknown scopes, dates that read two ways, bad bytes, damaged workbooks and withdrawals in
rows that are otherwise rejected. Each test checks that every row of the file is accounted
for: stored, or rejected with its row number and field, or blank."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from consent.parse import says_withdrawn
from tests.consent.conftest import NOWHERE, csv_text, form, write_export
from tests.consent.test_import import FORMS, accounted, records, show
from tests.sandboxed import Setup, make_setup

HEADER = "response_id,full_name,city,video_file,revoked"


def lines_file(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def names(setup: Setup) -> set[str]:
    return {r["response_id"] for r in records(setup)}


def stderr_for(outcome: object, row: int) -> str:
    [line] = [x for x in outcome.stderr.splitlines() if f": row {row}: " in x]  # type: ignore[attr-defined]
    return line


def test_a_quote_never_closed_rejects_its_row_and_keeps_the_rows_after_it(desk: Setup) -> None:
    export = lines_file(
        desk.path / "forms.csv",
        "R1,Amina Kamau,Nairobi,amina.mp4,",
        'R2,Léa Dubois,Lyon,"lea.mp4,',  # the quote is never closed
        "R3,Juma Diop,Dakar,juma.mp4,",
        "R4,Omar Haddad,Cairo,omar.mp4,",
    )
    outcome = desk.cli("consent", "import", str(export))
    counts = accounted(outcome, 4)
    assert (counts["new"], counts["rejected"]) == (3, 1)
    line = stderr_for(outcome, 3)
    assert "video_file" in line and "line 3" in line and "read as rows of their own" in line
    assert names(desk) == {"R1", "R3", "R4"}
    assert show(desk, "R1")["source_row"] == 2 and show(desk, "R4")["source_row"] == 5
    assert "Juma" not in str(show(desk, "R1"))  # nobody's data inside another's form


def test_a_stray_quote_closed_rows_later_is_still_found(desk: Setup) -> None:
    """The quote opened in row 3 closes cleanly in row 5 (a height written 5'11"): a valid
    CSV record that holds row 4 whole. It is found, rejected, and rows 4-5 read again."""
    export = lines_file(
        desk.path / "forms.csv",
        "R1,Amina Kamau,Nairobi,amina.mp4,",
        'R2,Léa Dubois,"Lyon,lea.mp4,',
        "R3,Juma Diop,Dakar,juma.mp4,",
        "R4,Omar Haddad,Cairo 5'11\",omar.mp4,",
        "R5,Ana Silva,Lima,ana.mp4,",
    )
    outcome = desk.cli("consent", "import", str(export))
    counts = accounted(outcome, 5)
    assert (counts["new"], counts["rejected"]) == (4, 1)
    assert "city" in stderr_for(outcome, 3) and "line 3" in stderr_for(outcome, 3)
    assert names(desk) == {"R1", "R3", "R4", "R5"}
    assert show(desk, "R3")["source_row"] == 4


def test_a_misplaced_quote_in_one_row_rejects_that_row_only(desk: Setup) -> None:
    export = lines_file(
        desk.path / "forms.csv",
        'R1,"Amina" Kamau,Nairobi,amina.mp4,',
        "R2,Léa Dubois,Lyon,lea.mp4,",
    )
    outcome = desk.cli("consent", "import", str(export))
    assert accounted(outcome, 2)["rejected"] == 1
    assert "full_name" in stderr_for(outcome, 2) and "quote" in stderr_for(outcome, 2)
    assert names(desk) == {"R2"}


def test_cells_with_line_breaks_and_quotes_are_no_stray_quote(desk: Setup) -> None:
    rows = [
        form("R1", 'Amina "Ami" Kamau', video_urls="https://youtu.be/a1\nhttps://youtu.be/a2"),
        form("R2", "Léa, Dubois", signature="Léa\nDubois, 2026"),
        form("R3", "Juma Diop"),
    ]
    outcome = desk.cli("consent", "import", str(write_export(desk.path / "f.csv", rows)))
    assert accounted(outcome, 3)["new"] == 3
    assert show(desk, "R1")["full_name"] == 'Amina "Ami" Kamau'
    assert show(desk, "R2")["full_name"] == "Léa, Dubois"


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("response_id,full_name,Revoked,revoked", ["'Revoked' (column 3)", "'revoked' (column 4)"]),
        ("response_id,full_name,Full Name", ["'full_name' (column 2)", "'Full Name' (column 3)"]),
    ],
)
def test_doubled_or_ambiguous_headers_refuse_the_file_naming_them(
    desk: Setup, header: str, named: list[str]
) -> None:
    export = desk.path / "forms.csv"
    width = header.count(",") + 1
    export.write_text(f"{header}\nR1,Amina Kamau{',' * (width - 2)}\n")
    outcome = desk.cli("consent", "import", str(export))
    assert outcome.exit_code == 65
    [line] = outcome.stderr.strip().splitlines()
    assert str(export) in line and all(n in line for n in named), line
    assert outcome.stdout == "" and records(desk) == []


def test_a_mapped_header_beside_our_own_name_is_ambiguous(tmp_path: Path, db_url: str) -> None:
    setup = make_setup(tmp_path, NOWHERE, db_url, consent=False)
    mapping = 'columns = { full_name = "Your name" }'
    setup.config.write_text(
        setup.config.read_text().replace("[consent]\n", f"[consent]\n{mapping}\n", 1)
    )
    export = tmp_path / "forms.csv"
    export.write_text("response_id,Your name,full_name\nR1,Amina Kamau,Amina K.\n")
    outcome = setup.cli("consent", "import", str(export))
    assert outcome.exit_code == 65
    assert "'Your name' (column 2) and 'full_name' (column 3)" in outcome.stderr


def test_columns_storydesk_does_not_read_are_named_once(desk: Setup) -> None:
    export = desk.path / "forms.csv"
    export.write_text("response_id,full_name,Timestamp,Notes\nR1,Amina Kamau,today,hi\n")
    outcome = desk.cli("consent", "import", str(export))
    assert accounted(outcome, 1)["new"] == 1
    [line] = outcome.stderr.strip().splitlines()
    assert "not imported" in line and "'Timestamp'" in line and "'Notes'" in line


def test_unknown_scope_words_are_row_errors(desk: Setup) -> None:
    rows = [
        form("R1", "Amina Kamau", consent_scope="webiste;socail"),
        form("R2", "Léa Dubois", consent_scope="website;Instagram;twitter"),
        form("R3", "Juma Diop", consent_scope="social media"),
    ]
    outcome = desk.cli("consent", "import", str(write_export(desk.path / "f.csv", rows)))
    assert accounted(outcome, 3)["rejected"] == 1
    line = stderr_for(outcome, 2)
    assert "consent_scope" in line and "'webiste'" in line and "'socail'" in line
    assert names(desk) == {"R2", "R3"}
    assert show(desk, "R2")["consent_scope"] == ["website", "instagram", "twitter"]


def test_a_date_that_reads_two_ways_is_a_row_error(desk: Setup) -> None:
    rows = [
        form("R1", "Amina Kamau", expires_at="01/02/2027"),
        form("R2", "Léa Dubois", expires_at="13/02/2027"),  # only one reading
        form("R3", "Juma Diop", expires_at="02/13/2027"),  # month first
        form("R4", "Omar Haddad", expires_at="2027-02-01"),
        form("R5", "Ana Silva", date_of_birth="03.04.2012"),  # dotted: always day first
    ]
    outcome = desk.cli("consent", "import", str(write_export(desk.path / "f.csv", rows)))
    assert accounted(outcome, 5)["rejected"] == 2
    ambiguous, month_first = stderr_for(outcome, 2), stderr_for(outcome, 4)
    assert "expires_at" in ambiguous and "1 February or 2 January" in ambiguous
    assert "date_format" in ambiguous and "date_format" in month_first
    assert show(desk, "R2")["expires_at"].startswith("2027-02-13")
    assert show(desk, "R4")["expires_at"].startswith("2027-02-01")
    assert show(desk, "R5")["date_of_birth"] == "2012-04-03"


@pytest.mark.parametrize(("order", "expected"), [("DD/MM/YYYY", "2027-02-01"),
                                                  ("MM/DD/YYYY", "2027-01-02")])  # fmt: skip
def test_date_format_in_the_campaign_file_decides(
    tmp_path: Path, sqlite_url: str, order: str, expected: str
) -> None:
    setup = make_setup(tmp_path, NOWHERE, sqlite_url, consent=False)
    setup.config.write_text(
        setup.config.read_text().replace("[consent]\n", f'[consent]\ndate_format = "{order}"\n', 1)
    )
    rows = [form("R1", "Amina Kamau", expires_at="01/02/2027 10:30")]
    outcome = setup.cli("consent", "import", str(write_export(tmp_path / "f.csv", rows)))
    assert accounted(outcome, 1)["new"] == 1
    assert show(setup, "R1")["expires_at"].startswith(f"{expected} 10:30")


def test_a_bad_date_format_is_a_configuration_error(tmp_path: Path, sqlite_url: str) -> None:
    setup = make_setup(tmp_path, NOWHERE, sqlite_url, consent=False)
    text = setup.config.read_text().replace("[consent]\n", '[consent]\ndate_format = "D/M"\n', 1)
    setup.config.write_text(text)
    outcome = setup.cli("check-config", str(setup.config))
    assert outcome.exit_code == 78 and "date_format" in outcome.stderr


def test_a_bad_byte_rejects_its_row_and_keeps_the_others(desk: Setup) -> None:
    good = csv_text([FORMS[0], FORMS[2]], columns=["response_id", "full_name", "city"])
    header, first, last = good.strip("\r\n").split("\r\n")
    export = desk.path / "forms.csv"
    export.write_bytes(
        f"{header}\r\n{first}\r\n".encode()
        + "R2,Léa Dubois,Lyon\r\n".encode("latin-1")  # é as one byte, 0xE9
        + f"{last}\r\n".encode()
    )
    outcome = desk.cli("consent", "import", str(export))
    assert accounted(outcome, 3)["rejected"] == 1
    line = stderr_for(outcome, 3)
    assert "full_name" in line and "0xE9" in line and "UTF-8" in line
    assert names(desk) == {"R1", "R3"}
    assert show(desk, "R3")["full_name"] == "李娜"


def test_a_header_that_is_not_utf8_refuses_the_file(desk: Setup) -> None:
    export = desk.path / "forms.csv"
    export.write_bytes("response_id,full_name,Città\nR1,Amina\n".encode("latin-1"))
    outcome = desk.cli("consent", "import", str(export))
    assert outcome.exit_code == 65
    [line] = outcome.stderr.strip().splitlines()
    assert str(export) in line and "UTF-8" in line


def _workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["response_id", "full_name"])
    for n in range(1, 30):
        sheet.append([f"R{n}", f"Person {n}"])
    book.save(path)
    return path


def _replace_member(path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(path) as old:
        items = [(i, old.read(i.filename)) for i in old.infolist()]
    with zipfile.ZipFile(path, "w") as new:
        for info, content in items:
            new.writestr(info, data if info.filename == member else content)


@pytest.mark.parametrize("damage", ["not a zip", "truncated", "bad sheet xml", "no sheet"])
def test_an_unreadable_workbook_exits_65_in_one_line(desk: Setup, damage: str) -> None:
    path = _workbook(desk.path / "forms.xlsx")
    if damage == "not a zip":
        path.write_bytes(b"response_id,full_name\nR1,Amina\n")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "bad sheet xml":
        _replace_member(path, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'>")
    else:
        with zipfile.ZipFile(path) as old:
            items = [(i, old.read(i.filename)) for i in old.infolist()]
        with zipfile.ZipFile(path, "w") as new:
            for info, content in items:
                if info.filename != "xl/worksheets/sheet1.xml":
                    new.writestr(info, content)
    outcome = desk.cli("consent", "import", str(path))
    assert outcome.exit_code == 65, outcome.stdout + outcome.stderr
    [line] = outcome.stderr.strip().splitlines()
    assert str(path) in line and "Traceback" not in line
    assert records(desk) == []


def test_blank_rows_and_extra_cells_are_accounted_for(desk: Setup) -> None:
    export = lines_file(
        desk.path / "forms.csv",
        "R1,Amina Kamau,Nairobi,amina.mp4,",
        ",,,,",
        "R2,Léa Dubois,Lyon,lea.mp4,,Lyon again",  # one cell more than the header
        "",
        "R3,Juma Diop,Dakar,juma.mp4,,",  # an empty cell more: harmless
    )
    outcome = desk.cli("consent", "import", str(export))
    counts = accounted(outcome, 5)
    assert (counts["new"], counts["rejected"], counts["blank"]) == (2, 1, 2)
    assert "6 cells where the header names 5" in stderr_for(outcome, 4)


def test_a_withdrawal_is_never_lost_even_in_a_rejected_row(desk: Setup) -> None:
    first = write_export(desk.path / "march.csv", FORMS)
    assert desk.cli("consent", "import", str(first)).exit_code == 0
    rows = [
        FORMS[0] | {"revoked": "yes", "age": "twelve"},  # withdrawn, and a bad age
        FORMS[1],
        FORMS[1] | {"revoked": "2026-04-30"},  # R2 again: a repeat, but it withdraws
        FORMS[2] | {"revoked": "perhaps"},  # not a yes, a no or a date
        form("R9", "Nobody Yet", revoked="yes", age="old"),  # nothing stored to withdraw
    ]
    outcome = desk.cli("consent", "import", str(write_export(desk.path / "april.csv", rows)))
    counts = accounted(outcome, 5)
    assert (counts["unchanged"], counts["rejected"], counts["revoked"]) == (1, 4, 2)
    assert "age" in stderr_for(outcome, 2) and "consent R1 is revoked" in stderr_for(outcome, 2)
    assert "repeats row 3" in stderr_for(outcome, 4)
    assert "consent R2 is revoked" in stderr_for(outcome, 4)
    assert "revoked: 'perhaps'" in stderr_for(outcome, 5)
    assert "revoked" not in stderr_for(outcome, 6).split("age")[1]
    states = {r["response_id"]: r["state"] for r in records(desk)}
    assert states == {"R1": "revoked", "R2": "revoked", "R3": "active"}
    assert show(desk, "R1")["age"] is None  # the rejected row's fields were not stored


@pytest.mark.parametrize(
    ("cell", "withdrawn"),
    [("", False), ("No", False), ("N/A", False), ("yes", True), ("Withdrawn", True),
     ("2026-04-30", True), ("30/04/2026", True), ("45413", True)],
)  # fmt: skip
def test_what_the_revoked_column_may_say(cell: str, withdrawn: bool) -> None:
    assert says_withdrawn(cell) is withdrawn
