"""Fuzzing the two files people hand storydesk: campaign files and consent-form exports.

Whatever is in them, the CLI answers with a documented exit code and one line per problem
naming the file and the row, line or key; never a traceback, never an "unexpected error".
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from config.loader import SHIPPED
from consent.parse import COLUMNS
from tests.helpers import Outcome, invoke
from tests.sandboxed import Setup, make_setup
from tests.tiers import examples

NOWHERE = "http://127.0.0.1:9"
SANDBOX = (SHIPPED / "sandbox.toml").read_text()
# derandomized: the suite gates every landing, so it runs the same examples each time (run
# with --hypothesis-seed=random to explore further)
FUZZ = settings(
    max_examples=examples(40),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CRASH = ("Traceback", "unexpected error")


def _one_line_per_problem(outcome: Outcome, path: Path) -> None:
    assert not any(word in outcome.stderr for word in CRASH), outcome.stderr
    for line in outcome.stderr.strip().splitlines():
        if line.startswith("note: "):  # check-config's notes about unset variables
            continue
        assert line.startswith(f"storydesk: {path}: "), line


# --- campaign files ----------------------------------------------------------------------

TOML_VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda f: {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(f), repr(f))
    ),
    st.text(max_size=60).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.sampled_from(["true", "false", "2026-13-45", "1979-05-27T07:32:00Z", "[]", "{}"]),
    st.integers(min_value=1, max_value=3000).map(lambda d: "[" * d + "]" * d),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40),  # not TOML at all
    st.sampled_from(
        [
            '"{quote}"',
            '"{excerpt:>999999999}"',
            '"99999999999999999999d"',
            '"0s"',
            '"{first_name.__class__.__mro__}"',
            '"javascript:alert(1)"',
            '"http://127.attacker.example"',
            '"../../etc/passwd"',
        ]
    ),
)


def _keys_of(text: str) -> list[tuple[int, str]]:
    return [
        (number, match.group(1))
        for number, line in enumerate(text.splitlines())
        if (match := re.match(r"^([A-Za-z_][\w-]*)\s*=", line))
    ]


KEYS = _keys_of(SANDBOX)


@st.composite
def campaign_files(draw: st.DrawFn) -> str:
    lines = SANDBOX.splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        number, key = draw(st.sampled_from(KEYS))
        lines[number] = f"{key} = {draw(TOML_VALUES)}"
    if draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(lines)))
        lines.insert(
            at, draw(st.sampled_from(["[campaign]", "[[x]]", "[platforms.x.y]", "a.b.c = 1"]))
        )
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=campaign_files())
def test_check_config_never_crashes_and_names_file_and_key(tmp_path: Path, text: str) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code in (0, 78), outcome.stderr
    _one_line_per_problem(outcome, path)
    if outcome.exit_code == 78:
        for line in outcome.stderr.strip().splitlines():
            rest = line.removeprefix(f"storydesk: {path}: ")
            assert re.match(r"^(line \d+: |[\w.\-]+: |TOML|not UTF-8|a value|larger)", rest), line


@FUZZ
@given(raw=st.binary(max_size=300))
def test_check_config_on_random_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "campaign.toml"
    path.write_bytes(raw)
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    _one_line_per_problem(outcome, path)


# --- consent exports ---------------------------------------------------------------------

CELLS = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="\x00\r\n\"',;\t=+-@ ", max_size=10),
    st.sampled_from(["2026-02-30", "31/12/2026", "45000", "yes", "maybe", "-1", "999", "all"]),
    st.integers(min_value=200, max_value=12_000).map(lambda n: "x" * n),
)


@st.composite
def exports(draw: st.DrawFn) -> list[list[str]]:
    header = draw(
        st.one_of(
            st.just(COLUMNS),
            st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8),
            st.lists(st.text(max_size=12), max_size=6),
        )
    )
    width = len(header)
    rows = draw(
        st.lists(st.lists(CELLS, min_size=max(width - 2, 0), max_size=width + 2), max_size=6)
    )
    return [list(header), *rows]


@pytest.fixture
def desk(tmp_path: Path, sqlite_url: str) -> Setup:
    return make_setup(tmp_path, NOWHERE, sqlite_url, consent=False)


def _import(desk: Setup, path: Path) -> Outcome:
    outcome = desk.cli("consent", "import", str(path))
    assert outcome.exit_code in (0, 65), outcome.stderr
    _one_line_per_problem(outcome, path)
    return outcome


@FUZZ
@given(table=exports())
def test_consent_import_of_any_csv(desk: Setup, table: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out).writerows(table)
    path = desk.path / "forms.csv"
    path.write_text(out.getvalue(), encoding="utf-8", errors="surrogatepass")
    _import(desk, path)


@FUZZ
@given(raw=st.binary(max_size=400))
def test_consent_import_of_random_bytes(desk: Setup, raw: bytes) -> None:
    path = desk.path / "forms.csv"
    path.write_bytes(b"response_id,full_name\n" + raw)
    _import(desk, path)


def _xlsx(table: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in table:
        # openpyxl refuses control characters in cells, as Excel does: a workbook cannot
        # hold them, so they are not part of what an export can be
        sheet.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@FUZZ
@given(table=exports())
def test_consent_import_of_any_xlsx(desk: Setup, table: list[list[str]]) -> None:
    path = desk.path / "forms.xlsx"
    path.write_bytes(_xlsx(table))
    _import(desk, path)


@FUZZ
@given(
    table=exports(),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), max_size=8),
)
def test_consent_import_of_a_damaged_xlsx(
    desk: Setup, table: list[list[str]], cut: float, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(_xlsx(table))
    for where, value in flips:
        data[int(where * (len(data) - 1))] ^= value
    if cut < 0.5:
        data = data[: int(len(data) * cut * 2)]
    path = desk.path / "forms.xlsx"
    path.write_bytes(bytes(data))
    _import(desk, path)


def test_a_zip_that_is_not_a_workbook(desk: Setup) -> None:
    path = desk.path / "forms.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-xml")
    path.write_bytes(buffer.getvalue())
    outcome = _import(desk, path)
    assert outcome.exit_code == 65
