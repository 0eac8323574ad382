"""An export read a batch at a time, column by column (what the import does), gives exactly
the rows that reading it row by row gives: every form with the same values, every rejected
row with the same reason, every blank row, in the same order, whatever the file holds and
wherever the batches end."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.schema import ConsentSettings
from consent.parse import Blank, Export, Rejected, Row, _plain_cell, says_withdrawn
from tests.consent.test_properties import exports
from tests.tiers import examples

# Lines no form tool means to write, put between the rows: blank ones, a broken quote,
# too many or too few cells, bytes that are not UTF-8, a withdrawal in a broken row.
ODD_LINES = [b"", b",,,,", b"   ;  ", b'X1,"never closed', b"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,"
             b"r,s,t,u,v,w,x,y,z,aa,bb,cc", b"R9,Only two", b"R\xff8,Bad \xfe byte",
             b'W1,"x"y,yes', b"\t",
             # every cell quoted, as some form tools write them, and near misses of it
             b'"Q1","Quoted Name"', b'"Q2","with ""quotes"" inside"', b'"Q3","two', b'lines"',
             b'""', b'"', b'"""', b'"Q4","","x" ', b' "Q5","y"', b'"Q6",plain,"z"',
             b'"Q7","a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r"']  # fmt: skip


def one_by_one(export: Export) -> Iterator[Row]:
    """The rows as the import read them before batches: each record on its own."""
    number = 1
    for cells, problem in export.source.records():
        number += 1
        if problem is not None:
            record = dict(zip(export.columns, cells, strict=False))
            rid, revoked = _plain_cell(record.get("response_id")), record.get("revoked")
            yield Rejected(number, problem, rid, says_withdrawn(revoked))
            continue
        joined = "".join(cells)
        if not joined or joined.isspace():
            yield Blank(number)
            continue
        yield export._row(number, cells, joined)


def both_ways(data: bytes, size: int, date_format: str | None) -> tuple[list[Row], list[Row]]:
    consent = ConsentSettings(date_format=date_format)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(data)
        with Export(path, consent) as export:
            batched = [row for batch in export.batches(size) for row in batch.rows()]
        with Export(path, consent) as export:
            single = list(one_by_one(export))
    return batched, single


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    exports(),
    st.lists(st.tuples(st.integers(0, 20), st.sampled_from(ODD_LINES)), max_size=4),
    st.integers(1, 5),
    st.sampled_from([None, "DD/MM/YYYY", "MM/DD/YYYY"]),
)
def test_batches_read_every_row_as_one_by_one(
    export: tuple[bytes, list[object]],
    odd: list[tuple[int, bytes]],
    size: int,
    date_format: str | None,
) -> None:
    data, _ = export
    lines = data.split(b"\n")
    header, rows = lines[:1], lines[1:]
    for at, line in odd:
        rows.insert(min(at, len(rows)), line.replace(b",", b";") if b";" in header[0] else line)
    batched, single = both_ways(b"\n".join(header + rows), size, date_format)
    assert batched == single


def test_a_batch_of_good_rows_with_a_bad_one_keeps_the_order(tmp_path: Path) -> None:
    """Rows refused on their own (a bad age, a blank name) are named where they stand,
    between the forms read column by column."""
    from consent.parse import COLUMNS

    header = ",".join(COLUMNS)
    cells = {name: n for n, name in enumerate(COLUMNS)}

    def row(rid: str, name: str, age: str = "") -> str:
        values = [""] * len(COLUMNS)
        values[cells["response_id"]], values[cells["full_name"]] = rid, name
        values[cells["age"]], values[cells["consent_scope"]] = age, "all"
        return ",".join(values)

    text = "\n".join([header, row("A", "Ana", "30"), row("B", "Bo", "twelve"), "",
                      row("C", "", "20"), row("D", "Dee", "41")]) + "\n"  # fmt: skip
    batched, single = both_ways(text.encode(), 10, None)
    assert batched == single
    kinds = [(type(r).__name__, r.row) for r in batched]
    assert kinds == [("Form", 2), ("Rejected", 3), ("Blank", 4), ("Rejected", 5), ("Form", 6)]
    assert batched[1].reason.startswith("age:")  # type: ignore[union-attr]
    assert batched[4].values["age"] == 41  # type: ignore[union-attr]


def test_spaces_at_the_ends_of_a_line_are_stripped_as_row_by_row(tmp_path: Path) -> None:
    """A row without quotes is split at once; a space before its first cell or after its
    last (the line's own ends, where no delimiter is) is still stripped."""
    from consent.parse import COLUMNS

    def row(rid: str, code: str) -> str:
        values = ["" for _ in COLUMNS]
        values[COLUMNS.index("response_id")], values[COLUMNS.index("full_name")] = rid, "Ana"
        values[COLUMNS.index("consent_scope")] = "all"
        # the columns in the order the line gives them: response_id first, code last
        order = ["response_id", *[c for c in COLUMNS if c not in ("response_id", "code")], "code"]
        values[COLUMNS.index("code")] = code
        return ",".join(values[COLUMNS.index(c)] for c in order), ",".join(order)

    first, header = row(" R1", "C1")
    last, _ = row("R2", "C2 ")
    for size in (1, 2, 10):
        batched, single = both_ways(f"{header}\n{first}\n{last}\n".encode(), size, None)
        assert batched == single
        assert [r.values["response_id"] for r in batched] == ["R1", "R2"]  # type: ignore[union-attr]
        assert batched[1].values["request_code"] == "C2"  # type: ignore[union-attr]


def test_an_export_quoting_every_cell_reads_as_row_by_row(tmp_path: Path) -> None:
    """Some form tools quote every cell: their lines are read in batches exactly as row by
    row, cells holding a line break, a quote or the delimiter included, and a line that ends
    where the next one starts with a quote (joined, the two would look like a quoted
    delimiter: a split of such lines at '","' must never take it for one)."""
    import csv
    import io

    from consent.parse import COLUMNS

    def row(rid: str, name: str, signature: str = "") -> list[str]:
        values = [""] * len(COLUMNS)
        values[COLUMNS.index("response_id")], values[COLUMNS.index("full_name")] = rid, name
        values[COLUMNS.index("consent_scope")] = "all"
        values[COLUMNS.index("signature")] = signature
        return values

    rows = [row("R1", "Ana Diop"), row("R2", "Bo, the second"), row("R3", 'Cy "C" Li'),
            row("R4", "Dee", "line one\nline two"), row("R5", "Eve", '\n"quoted'),
            row("R6", "Fay")]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    for size in (1, 2, 3, 10):
        batched, single = both_ways(out.getvalue().encode(), size, None)
        assert batched == single
        names = [r.values["full_name"] for r in batched]  # type: ignore[union-attr]
        assert names == ["Ana Diop", "Bo, the second", 'Cy "C" Li', "Dee", "Eve", "Fay"]
        signatures = [r.values["signature"] for r in batched]  # type: ignore[union-attr]
        assert signatures[3:5] == ["line one\nline two", '"quoted']
