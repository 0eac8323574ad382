"""Reading a form tool's export (CSV in its many dialects, or XLSX) into validated rows, one
row at a time, so that an export of any size is read in bounded memory.

Every row of the file comes out as exactly one of: a form, a rejection naming its row and
field, or a blank row; nothing is dropped on the way. A quote that runs over the rows after
it rejects the row where it was opened, and those rows are read again on their own. A file
that cannot be read at all (not UTF-8 text, a damaged workbook, missing or doubled columns)
is refused whole with one line.
"""

from __future__ import annotations

import csv
import difflib
import functools
import operator
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import compress, islice, repeat
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from config.errors import BadInput, ConfigError
from config.schema import ConsentSettings
from db.models.consent import column_limits, form_fields
from db.scope import SOCIAL, WEBSITE, scope_targets

# The export's columns: the form's fields as marked on the model (db/models/consent.py), the
# form's id, a withdrawal flag, and the code of our request for consent (consent/requests.py)
# which is stored as request_code.
COLUMNS = [
    "response_id",
    *(f for f in form_fields() if f != "request_code"),
    "revoked",
    "code",
]
REQUIRED = ("response_id", "full_name")
# Each text column's length as the model declares it: PostgreSQL refuses a longer value (and
# with it the whole batch) while SQLite stores it, so a row is rejected here, before the
# write, and both engines store the same forms. The request code is read from `code`.
LIMITS = {("code" if c == "request_code" else c): n for c, n in column_limits().items()}
MAX_CELL = 10_000
# No form's row comes near this; a longer line is not a form export (or has lost its line
# breaks), and reading it whole would hold an unbounded string in memory.
LINE_LIMIT = 1 << 20
EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
YES = {"yes", "y", "true", "1", "x", "oui", "sí", "si", "signed"}
NO = {"", "no", "n", "false", "0", "non"}
WITHDRAWN = YES | {"revoked", "withdrawn", "révoqué", "retiré"}
NOT_WITHDRAWN = {"n/a", "na", "-", "none", "active"}
# What a scope may name: the gallery and the social targets, by the words db.scope reads.
TARGETS = {*SOCIAL, *WEBSITE}
SCOPE_WORDS = "website, social, all, or a platform (" + ", ".join(SOCIAL) + ")"
# A byte that is not UTF-8, kept by the surrogateescape decoder as U+DC80..U+DCFF.
_BAD_BYTE = re.compile("[\udc80-\udcff]")
_DAY_MONTH = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*"
)
_DATE_LIKE = re.compile(r"[\d/.:T+Z -]*\d[\d/.:T+Z -]*")


@dataclass(slots=True)  # one a row, made 100k times an import
class Form:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False


@dataclass
class Rejected:
    """A row not stored: `reason` names the field. When the row's response_id can be read
    and it says consent is withdrawn, the withdrawal is still honoured (see register)."""

    row: int
    reason: str
    response_id: str | None = None
    revoked: bool = False


@dataclass
class Blank:
    row: int


Row = Form | Rejected | Blank


@dataclass(slots=True)
class Batch:
    """A run of the file's rows: its forms column by column (`forms`: each of a form's
    values, by name, one a form in row order; `numbers` their rows; `revoked` whether each
    says consent was withdrawn) and its other rows, rejected or blank, in row order."""

    forms: dict[str, list[Any]]
    numbers: list[int]
    revoked: list[bool]
    others: list[Rejected | Blank]
    size: int  # rows, of every kind
    last_row: int

    def form(self, place: int) -> Form:
        values = {name: column[place] for name, column in self.forms.items()}
        return Form(self.numbers[place], values, self.revoked[place])

    def rows(self) -> Iterator[Row]:
        """Its rows one by one, in the file's order."""
        others = iter(self.others)
        other = next(others, None)
        for place, number in enumerate(self.numbers):
            while other is not None and other.row < number:
                yield other
                other = next(others, None)
            yield self.form(place)
        if other is not None:
            yield other
        yield from others


@dataclass
class Parsed:
    forms: list[Form]
    rejected: list[str]


def check_mapping(settings: ConsentSettings, campaign: str = "campaign file") -> None:
    """A mistyped name in [consent] columns would leave its column unread, so it is refused
    (the campaign file: 78) before the export is read, as the file's other unknown keys are."""
    unknown = [name for name in settings.columns if name not in COLUMNS]
    if unknown:
        lines = []
        for name in unknown:
            near = difflib.get_close_matches(name, COLUMNS, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            lines.append(
                f"{campaign}: consent.columns.{name}: not a column storydesk reads "
                f"(misspelled?); {hint}the columns are {', '.join(COLUMNS)}"
            )
        raise ConfigError(lines[0], lines)


class Export:
    """An export opened for reading: the header is checked when it opens (BadInput names
    the file), then `rows()` gives every row of the file in order."""

    def __init__(self, path: Path, settings: ConsentSettings) -> None:
        self.path, self.settings = path, settings
        check_mapping(settings)
        try:
            self.source: _CsvSource | _XlsxSource = (
                _XlsxSource(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _CsvSource(path)
            )
        except OSError as exc:
            raise BadInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
        try:
            header = self.source.header()
            self.columns, self.unused = self._columns(header)
        except BaseException:
            self.close()
            raise
        self.width = len(header)
        self.header = header
        # each of COLUMNS by its place in a row; a column the file lacks reads the blank
        # put after the row's cells
        at = {name: n for n, name in enumerate(self.columns) if name}
        self.pick = operator.itemgetter(*(at.get(name, self.width) for name in COLUMNS))
        self.reader = _FormReader(settings)

    def _columns(self, header: list[str]) -> tuple[list[str | None], list[str]]:
        mapped = {v.strip(): k for k, v in self.settings.columns.items()}
        columns: list[str | None] = []
        unused: list[str] = []
        for n, raw in enumerate(header, start=1):
            text = raw.strip()
            name = mapped.get(text, text.lower().replace(" ", "_"))
            columns.append(name if name in COLUMNS else None)
            if name not in COLUMNS:
                unused.append(f"'{text[:40]}'" if text else f"column {n} (no header)")
        doubled = {
            name: [n for n, c in enumerate(columns, start=1) if c == name]
            for name in COLUMNS
            if columns.count(name) > 1
        }
        if doubled:
            name, at = next(iter(doubled.items()))
            names = " and ".join(f"'{header[n - 1].strip()[:40]}' (column {n})" for n in at)
            raise BadInput(
                f"{self.path}: columns {names} are all read as {name}; keep one of them, or "
                f'name the one to read with `columns = {{ {name} = "..." }}` under [consent]'
            )
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            found = ", ".join(h.strip() for h in header if h.strip())
            raise BadInput(
                f"{self.path}: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (found: {found[:200]})"
            )
        return columns, unused

    def rows(self) -> Iterator[Row]:
        """Every row of the file, in order."""
        for batch in self.batches():
            yield from batch.rows()

    def batches(self, size: int = 2000) -> Iterator[Batch]:
        """The file's rows `size` at a time (the last batch may be shorter), their forms
        read column by column: what `rows()` gives, in a fraction of the calls."""
        number = 1  # the header is row 1, as a spreadsheet numbers it
        while chunk := self.source.batch(size):
            yield self._batch(number + 1, chunk)
            number += len(chunk)

    def _batch(self, first: int, chunk: list[tuple[list[str], str | None]]) -> Batch:
        cells = [c for c, _ in chunk]
        joined = list(map("".join, cells))
        others: list[Rejected | Blank] = []
        plain = list(range(len(chunk)))  # of the rows that hold cells to read as a form
        odd = any(p is not None for _, p in chunk) or "" in joined or any(map(str.isspace, joined))
        if odd:  # a broken record or a blank row: the quick look above, then row by row
            plain = []
            for n, (row_cells, problem) in enumerate(chunk):
                if problem is not None:  # what can be read of it names it (see Rejected)
                    record = dict(zip(self.columns, row_cells, strict=False))
                    rid, revoked = _plain_cell(record.get("response_id")), record.get("revoked")
                    others.append(Rejected(first + n, problem, rid, says_withdrawn(revoked)))
                elif not joined[n] or joined[n].isspace():  # no cell holds but blanks
                    others.append(Blank(first + n))
                else:
                    plain.append(n)
        return self.reader.batch(self, first, plain, cells, joined, others)

    def _row(self, number: int, cells: list[str], joined: str) -> Row:
        width = self.width
        padded = cells if len(cells) == width else (cells + [""] * width)[:width]
        text: list[str] = [*map(str.strip, self.pick([*padded, ""]))]
        try:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                raise ValueError(
                    f"{len(cells)} cells where the header names {width} columns "
                    f"(a cell holding the separator without quotes?)"
                )
            if not joined.isascii() and not _utf8(joined) and _BAD_BYTE.search(joined):
                raise ValueError(_bad_byte(cells, self.columns))
            return self.reader.form(number, text, joined)
        except ValueError as exc:
            rid, revoked = _plain_cell(text[_RESPONSE_ID]), text[_REVOKED]
            return Rejected(number, str(exc), rid, says_withdrawn(revoked))

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> Export:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def read_export(path: Path, settings: ConsentSettings) -> Parsed:
    """The whole export in memory: for small files and tests (imports stream `Export`)."""
    forms, rejected = [], []
    seen: dict[str, int] = {}
    with Export(path, settings) as export:
        for row in export.rows():
            if isinstance(row, Rejected):
                rejected.append(f"{path}: row {row.row}: {row.reason}")
            elif isinstance(row, Form):
                rid = row.values["response_id"]
                if rid in seen:
                    rejected.append(f"{path}: row {row.row}: response_id {rid} repeats row "
                                    f"{seen[rid]}")  # fmt: skip
                    continue
                seen[rid] = row.row
                forms.append(row)
    return Parsed(forms, rejected)


class _Lines:
    """The file's lines for csv.reader, keeping those of the record being read: a record
    found to have swallowed the rows after it is rejected, and its later lines are given
    to the reader again."""

    def __init__(self, stream: IO[str], path: Path) -> None:
        self.stream, self.path = stream, path
        self.again: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self.read = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.again:
            number, line = self.again.popleft()
        else:
            line = self.stream.readline(LINE_LIMIT)
            if not line:
                raise StopIteration
            self.read += 1
            number = self.read
            if len(line) >= LINE_LIMIT and line[-1] not in "\r\n":
                raise BadInput(
                    f"{self.path}: line {number} is longer than {LINE_LIMIT // 1024} KiB; "
                    "not a form export (or one that lost its line breaks)"
                )
        self.taken.append((number, line))
        return line

    def read_again(self, lines: list[tuple[int, str]]) -> None:
        self.again.extendleft(reversed(lines))

    def take(self, count: int) -> tuple[list[int], list[str]]:
        """The next `count` lines (fewer at the end) and their numbers, as `__next__`
        gives them one by one; none is kept in `taken`."""
        numbers: list[int] = []
        lines: list[str] = []
        while self.again and len(lines) < count:
            number, line = self.again.popleft()
            numbers.append(number)
            lines.append(line)
        first, readline = self.read + 1, functools.partial(self.stream.readline, LINE_LIMIT)
        fresh = list(islice(iter(readline, ""), count - len(lines)))  # "" at the end
        self.read += len(fresh)
        if max(map(len, fresh), default=0) >= LINE_LIMIT:
            for number, line in enumerate(fresh, start=first):
                if len(line) >= LINE_LIMIT and line[-1] not in "\r\n":
                    raise BadInput(
                        f"{self.path}: line {number} is longer than {LINE_LIMIT // 1024} KiB;"
                        " not a form export (or one that lost its line breaks)"
                    )
        numbers.extend(range(first, first + len(fresh)))
        lines.extend(fresh)
        return numbers, lines


class _CsvSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as raw:
            head = raw.read(4)
        if head.startswith(b"PK\x03\x04"):
            raise BadInput(f"{path}: this is an XLSX workbook, not CSV text; name it .xlsx")
        # A byte that is not UTF-8 is kept (as a lone surrogate) so that only its row is
        # rejected; the header must be clean.
        self.stream = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
        self.lines = _Lines(self.stream, path)
        self.names: list[str] = []  # the header, once read

    def header(self) -> list[str]:
        first = next(self.lines, "")
        if not first.strip():
            raise BadInput(f"{self.path}: the file is empty (row 1 must name the columns)")
        if "\x00" in first or _BAD_BYTE.search(first):
            raise BadInput(f"{self.path}: not UTF-8 text; export the form as CSV UTF-8")
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        self.delimiter = max(counts, key=lambda d: (counts[d], d == ","))
        self.lines.taken.clear()
        self.lines.read_again([(1, first)])
        # csv refuses a field over its limit by raising; rows are bounded by LINE_LIMIT.
        csv.field_size_limit(max(csv.field_size_limit(), LINE_LIMIT))
        self.reader = csv.reader(self.lines, delimiter=self.delimiter, strict=True)
        cells, problem = next(self.records(), ([], "empty"))
        if problem is not None:
            raise BadInput(f"{self.path}: row 1 (the header): {problem}")
        self.names = cells
        return cells

    def batch(self, size: int) -> list[tuple[list[str], str | None]]:
        """The next `size` records (fewer at the end), as `records()` gives them. Lines
        without a quote are one record each, their cells what lies between the delimiters
        (as csv.reader splits them), split at once; otherwise they go back for csv.reader."""
        numbers, lines = self.lines.take(size)
        if not lines:
            return []
        every = "".join(lines)
        if '"' not in every and "\x00" not in every:  # csv.reader refuses a NUL itself
            texts = list(map(str.rstrip, lines, repeat("\r\n")))
            if "" not in texts:  # a blank line is a record of no cells for csv.reader
                return list(zip(map(str.split, texts, repeat(self.delimiter)), repeat(None)))
        self.lines.read_again(list(zip(numbers, lines, strict=True)))
        return list(islice(self.records(), size))

    def records(self) -> Iterator[tuple[list[str], str | None]]:
        """(cells, None) for each record; for one whose quoting is broken, (what its first
        line holds, why)."""
        lines, reader = self.lines, self.reader
        while True:
            lines.taken.clear()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self._broken(str(exc))
                continue
            if len(lines.taken) > 1:
                swallowed = self._swallowing_cell(cells)
                if swallowed is not None:
                    yield self._broken("it holds the rows after it", swallowed)
                    continue
            yield cells, None

    def _swallowing_cell(self, cells: list[str]) -> int | None:
        """The cell of a record spread over several lines that holds whole rows: as many
        separators as a row has, or more cells than the header (a legitimate cell with
        line breaks holds a few words or links, not a row's worth of separators)."""
        need = max(3, len(self.names) - 1)
        multi = [n for n, c in enumerate(cells) if "\n" in c or "\r" in c]
        for n in multi:
            if cells[n].count(self.delimiter) >= need:
                return n
        if multi and self.names and len(cells) > len(self.names):
            return multi[0]
        return None

    def _broken(self, why: str, cell: int | None = None) -> tuple[list[str], str]:
        taken = list(self.lines.taken)
        if not taken:  # nothing was read: the reader failed before the first line
            return [], f"not readable as CSV ({why})"
        start, first = taken[0]
        # the first line on its own, read leniently: the cells before the broken quote
        cells = next(csv.reader([first], delimiter=self.delimiter), [])
        if cell is None:
            cell = _quote_trouble(first, self.delimiter)
        name = self.names[cell].strip() if cell < len(self.names) else ""
        name = f"'{name[:40]}'" if name else f"column {cell + 1}"
        if len(taken) == 1:
            return cells[:cell], f"{name}: a quote is misplaced ({why}); quote the whole cell"
        self.lines.read_again(taken[1:])
        rest = len(taken) - 1
        return cells[:cell], (
            f"{name}: a quote opened on line {start} is not closed where the row ends ({why});"
            f" the {rest} line{'s' if rest > 1 else ''} after it were read as rows of their own"
        )

    def close(self) -> None:
        self.stream.close()


def _quote_trouble(line: str, delimiter: str) -> int:
    """The cell of `line` whose quote CSV cannot read: never closed on this line, or
    followed by more text after it closes."""
    cell, i, n, start = 0, 0, len(line), True
    while i < n:
        if start and line[i] == '"':
            j = i + 1
            while True:
                k = line.find('"', j)
                if k < 0:
                    return cell  # still open at the end of the line
                if line[k + 1 : k + 2] == '"':
                    j = k + 2  # a doubled quote inside the cell
                    continue
                if k + 1 < n and line[k + 1] not in (delimiter, "\r", "\n"):
                    return cell  # text after the closing quote
                i = k + 1
                break
            start = False
            continue
        start = line[i] == delimiter
        cell += start
        i += 1
    return cell


class _XlsxSource:
    def __init__(self, path: Path) -> None:
        from openpyxl import load_workbook

        self.path = path
        try:
            self.book = load_workbook(path, read_only=True, data_only=True)
            self.iterator = iter(self.book.worksheets[0].iter_rows(values_only=True))
        except Exception as exc:  # noqa: BLE001 - a damaged workbook raises many kinds
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: BaseException) -> BadInput:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        return BadInput(f"{self.path}: not a readable XLSX workbook ({detail})")

    def header(self) -> list[str]:
        cells, _ = next(self.records(), (None, None))
        if not cells or not any(c.strip() for c in cells):
            raise BadInput(f"{self.path}: the workbook is empty (row 1 must name the columns)")
        return cells

    def batch(self, size: int) -> list[tuple[list[str], str | None]]:
        """The next `size` rows (fewer at the end), as `records()` gives them."""
        return list(islice(self.records(), size))

    def records(self) -> Iterator[tuple[list[str], str | None]]:
        while True:
            try:
                row = next(self.iterator, None)
            except Exception as exc:  # noqa: BLE001 - bad XML or a bad zip member mid-sheet
                raise self._unreadable(exc) from None
            if row is None:
                return
            yield [_cell(v) for v in row], None

    def close(self) -> None:
        if hasattr(self, "book"):
            self.book.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _bad_byte(cells: list[str], columns: list[str | None]) -> str:
    n, found = next((n, m) for n, c in enumerate(cells) if (m := _BAD_BYTE.search(c)))
    name = (columns[n] if n < len(columns) else None) or f"column {n + 1}"
    byte = ord(found.group()) - 0xDC00
    return f"{name}: byte 0x{byte:02X} is not UTF-8 text (export the form as CSV UTF-8)"


def _utf8(text: str) -> bool:
    """Is `text` free of surrogates, so of the bad bytes _BAD_BYTE finds? (Encoding it is
    a fraction of that search.)"""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _plain_cell(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if text and len(text) <= 128 and not _BAD_BYTE.search(text) else None


def says_withdrawn(value: Any) -> bool:
    """Does the `revoked` cell say consent was withdrawn (yes, or the date it was)?"""
    word = str(value or "").strip().lower()
    if word in NO or word in NOT_WITHDRAWN:
        return False
    return word in WITHDRAWN or bool(_DATE_LIKE.fullmatch(word))


def _text(value: Any, column: str) -> str | None:
    text = str(value or "").strip()
    if len(text) > MAX_CELL:
        raise ValueError(f"{column}: longer than {MAX_CELL} characters")
    if "\x00" in text:  # no database stores it (PostgreSQL refuses); never typed by a person
        raise ValueError(f"{column}: holds a NUL character (a damaged export?)")
    return text or None


def parse_date(value: str | None, column: str, order: str | None = None) -> datetime | None:
    """A date as form tools write it. ISO dates and Excel serial days are read as they are;
    a date with day and month as numbers only when it cannot be read two ways, or as
    `order` (the campaign's `consent.date_format`) says."""
    if not value:
        return None
    if value[4:5] == "-":  # ISO, as most tools write it: the quick way first
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    if re.fullmatch(r"\d{4,5}(\.\d+)?", value):  # an Excel serial date
        serial = float(value)
        if not 1 <= serial <= 80_000:
            raise ValueError(f"{column}: '{value}' is not a date")
        return EXCEL_EPOCH + timedelta(days=serial)
    numbers = _DAY_MONTH.fullmatch(value)
    if numbers:
        return _day_month(numbers, value, column, order)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                return datetime.strptime(value[:19], fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        raise ValueError(f"{column}: '{value[:40]}' is not a date (use YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day_month(numbers: re.Match[str], value: str, column: str, order: str | None) -> datetime:
    first, separator, second, year = numbers.group(1, 2, 3, 4)
    a, b = int(first), int(second)
    hint = 'set date_format = "DD/MM/YYYY" or "MM/DD/YYYY" under [consent] in the campaign file'
    if order == "MM/DD/YYYY" and separator != ".":
        month, day = a, b
    elif order == "DD/MM/YYYY" or separator == "." or a == b or a > 12:
        day, month = a, b  # day first, as most of the world (and every dotted date) writes it
    elif b > 12:
        raise ValueError(f"{column}: '{value[:40]}' puts the month first; {hint}")
    else:
        raise ValueError(
            f"{column}: '{value[:40]}' could be {a} {_MONTHS[b - 1]} or {b} {_MONTHS[a - 1]};"
            f" {hint}"
        )
    hour, minute, second_ = (int(x or 0) for x in numbers.group(5, 6, 7))
    try:
        return datetime(int(year), month, day, hour, minute, second_, tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{column}: '{value[:40]}' is not a date") from None


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]  # fmt: skip


@functools.cache
def _splitter(separator: str) -> re.Pattern[str]:
    return re.compile(rf"[{re.escape(separator)}\n\r,]+|\s+(?=https?://)")


def _split(value: str | None, separator: str) -> list[str]:
    if not value:
        return []
    if " " in value or "\n" in value or "\r" in value or "," in value:
        parts = _splitter(separator).split(value)
    else:  # the usual cell: a few values and the separator, no more (the quick way)
        parts = value.split(separator)
    return [p for p in map(str.strip, parts) if p]


@functools.lru_cache(maxsize=4096)  # a campaign's forms give a handful of different scopes
def _scope(value: str | None, separator: str) -> tuple[str, ...]:
    scope = tuple(s.lower() for s in _split(value, separator))
    unknown = [s for s in scope if not scope_targets([s]) <= TARGETS]
    if unknown:
        words = ", ".join(f"'{s[:30]}'" for s in unknown[:5])
        raise ValueError(
            f"consent_scope: {words} {'is' if len(unknown) == 1 else 'are'} not a use a form "
            f"can give ({SCOPE_WORDS})"
        )
    return scope


_AGE = re.compile(r"\d{1,3}(\.0)?")
# the columns stored as they are written (the others are read into numbers, dates, lists)
_AS_WRITTEN = [c for c in COLUMNS if c not in ("age", "date_of_birth", "guardian_signed",
               "video_urls", "consent_scope", "submitted_at", "expires_at", "revoked", "code")]  # fmt: skip
# A form's cells are a list in COLUMNS' order; these are places in it.
_AT = {c: n for n, c in enumerate(COLUMNS)}
_RESPONSE_ID, _FULL_NAME, _REVOKED = _AT["response_id"], _AT["full_name"], _AT["revoked"]
_AGE_AT, _SIGNED, _CODE = _AT["age"], _AT["guardian_signed"], _AT["code"]
_SUBMITTED, _BORN, _EXPIRES = _AT["submitted_at"], _AT["date_of_birth"], _AT["expires_at"]
_URLS, _SCOPE = _AT["video_urls"], _AT["consent_scope"]
_WRITTEN = operator.itemgetter(*(_AT[c] for c in _AS_WRITTEN))
_LIMITED = operator.itemgetter(*(_AT[c] for c in LIMITS))
_LIMIT_VALUES = tuple(LIMITS.values())
# A form's values, each None until read (in the order the values have always had).
_NOTHING: dict[str, Any] = dict.fromkeys(
    [*_AS_WRITTEN, "age", "date_of_birth", "guardian_signed", "submitted_at", "expires_at",
     "video_urls", "consent_scope", "request_code"]
)  # fmt: skip
# A remembered answer set is emptied when it holds this many: an export's dates, ages and
# scopes repeat (a campaign runs for months), and memory stays bounded however many rows.
REMEMBERED = 10_000


class Remembered(dict[Any, Any]):
    """`process`'s answers by the value asked (`memo[value]`: a dictionary's look-up, no
    call, once known); an error is not remembered, so every row that holds a bad value
    is refused."""

    def __init__(self, process: Callable[[Any], Any]) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value: Any) -> Any:
        if len(self) >= REMEMBERED:
            self.clear()
        answer = self[value] = self.process(value)
        return answer


def _read_age(given: str) -> int:
    if not _AGE.fullmatch(given) or not 0 < float(given) < 120:
        raise ValueError(f"age: '{given[:20]}' is not an age in years")
    return int(float(given))


# A cell read as no value can be, where a column of cells is read at once: its row is then
# read on its own, which names the trouble.
BAD = object()
_BLANK_IS_NONE: dict[str, None] = {"": None}


class _Read(Remembered):
    """A column's cells as `process` reads them, each different text once, as Remembered;
    one it refuses is read as BAD (and remembered: every row holding it is then read on its
    own, which names the trouble)."""

    def __init__(self, process: Callable[[str], Any]) -> None:
        super().__init__(functools.partial(_or_bad, process))


def _or_bad(process: Callable[[str], Any], text: str) -> Any:
    try:
        return process(text)
    except ValueError:
        return BAD


def _yes_no(text: str) -> Any:
    """guardian_signed's cell: True, False or BAD (one rule, row by row and by column)."""
    word = text.lower()
    return word in YES if word in YES or word in NO else BAD


def _withdrawn(text: str) -> Any:
    """revoked's cell: withdrawn (yes, or the date it was), not, or BAD."""
    word = text.lower()
    if not word:
        return False
    withdrawn = says_withdrawn(word)
    return BAD if not withdrawn and word not in NO and word not in NOT_WITHDRAWN else withdrawn


def _blank_is_none(cells: list[str]) -> list[Any]:
    """A column's cells, a blank one as None (most columns of a batch have none: no copy)."""
    return list(map(_BLANK_IS_NONE.get, cells, cells)) if "" in cells else cells


class _FormReader:
    """Reads a row's cells into a form, checking every one. Dates and ages are read once
    per different text (cached: the reading of a text is the same in every row, and what
    is cached cannot change: numbers, dates, tuples)."""

    def __init__(self, settings: ConsentSettings) -> None:
        self.separator = settings.list_separator
        self.age = Remembered(_read_age)
        self.submitted, self.born, self.expires = (
            Remembered(functools.partial(parse_date, column=column, order=settings.date_format))
            for column in ("submitted_at", "date_of_birth", "expires_at")
        )

        # the same readings for a column of cells at once (see batch)
        def dated(column: str, day: bool = False) -> _Read:
            def read(text: str) -> Any:
                when = parse_date(text, column, settings.date_format) if text else None
                return when.date() if day and when else when

            return _Read(read)

        self.columns = {
            "age": _Read(lambda text: _read_age(text) if text else None),
            "date_of_birth": dated("date_of_birth", day=True),
            "guardian_signed": _Read(_yes_no),
            "submitted_at": dated("submitted_at"),
            "expires_at": dated("expires_at"),
            "consent_scope": _Read(lambda text: _scope(text or None, self.separator)),
        }
        self.withdrawn = _Read(_withdrawn)

    def batch(
        self,
        export: Export,
        first: int,
        plain: list[int],
        cells: list[list[str]],
        joined: list[str],
        others: list[Rejected | Blank],
    ) -> Batch:
        """The forms of the rows at `plain` (places in `cells`, the first `first`), read
        column by column: each check over a column at once, and a row that fails one (or
        is not as the header, or holds a byte not UTF-8) read on its own by `Export._row`,
        so that it is refused (or read) exactly as row by row."""
        size = len(cells)
        if len(plain) != size:
            cells, joined = [cells[n] for n in plain], [joined[n] for n in plain]
        numbers = [first + n for n in plain]
        count, width = len(cells), export.width
        suspects: set[int] = set()
        given = cells
        if any(len(row) != width for row in cells):
            suspects.update(n for n, row in enumerate(cells) if len(row) != width)
            cells = [row if len(row) == width else (row + [""] * width)[:width] for row in cells]
        every = "".join(joined)
        if not every.isascii() and not _utf8(every):
            suspects.update(n for n, text in enumerate(joined) if not _utf8(text))
        if "\x00" in every or max(map(len, joined), default=0) > MAX_CELL:
            suspects.update(n for n, t in enumerate(joined) if "\x00" in t or len(t) > MAX_CELL)
        by_place = list(zip(*cells, strict=True)) if count else [()] * width
        at = {name: n for n, name in enumerate(export.columns) if name}
        text = {
            name: list(map(str.strip, by_place[at[name]])) if name in at else [""] * count
            for name in COLUMNS
        }

        def flag(values: list[Any], bad: Callable[[Any], bool]) -> None:
            suspects.update(n for n, value in enumerate(values) if bad(value))

        for name in REQUIRED:
            if "" in text[name]:
                flag(text[name], operator.not_)
        for name, limit in LIMITS.items():
            if max(map(len, column := text[name]), default=0) > limit:
                suspects.update(n for n, value in enumerate(column) if len(value) > limit)
        read: dict[str, list[Any]] = {}
        for name, reader in self.columns.items():
            read[name] = values = list(map(reader.__getitem__, text[name]))
            if BAD in values:
                flag(values, lambda value: value is BAD)
        revoked = list(map(self.withdrawn.__getitem__, text["revoked"]))
        if BAD in revoked:
            flag(revoked, lambda value: value is BAD)
        forms: dict[str, list[Any]] = {name: _blank_is_none(text[name]) for name in _AS_WRITTEN}
        forms.update(read)
        forms["video_urls"] = [_split(value, self.separator) for value in text["video_urls"]]
        forms["request_code"] = _blank_is_none(text["code"])
        forms = {name: forms[name] for name in _NOTHING}  # in the order a form's values have
        for n in sorted(suspects, reverse=True):  # from the last, so that places hold
            row = export._row(numbers[n], given[n], joined[n])
            if isinstance(row, Form):
                for name, values in forms.items():
                    values[n] = row.values[name]
                revoked[n] = row.revoked
                continue
            for values in forms.values():
                del values[n]
            del numbers[n], revoked[n]
            others.append(row)
        if suspects:
            others.sort(key=operator.attrgetter("row"))
        forms["consent_scope"] = list(map(list, forms["consent_scope"]))
        return Batch(forms, numbers, revoked, others, size, first + size - 1)

    def form(self, number: int, text: list[str], joined: str | None = None) -> Form:
        """The form of a row whose cells, stripped, are `text` (`joined`: the row's cells
        joined, or any text holding them all); ValueError names the field that cannot be
        stored."""
        if joined is None:
            joined = "".join(text)
        if len(joined) > MAX_CELL or "\x00" in joined:  # one check for the row, then the culprit
            for column, value in zip(COLUMNS, text, strict=True):
                _text(value, column)
        if not text[_RESPONSE_ID]:
            raise ValueError("response_id is empty")
        if not text[_FULL_NAME]:
            raise ValueError("full_name is empty")
        if any(map(operator.gt, map(len, _LIMITED(text)), _LIMIT_VALUES)):
            for column, limit in LIMITS.items():  # the value is never quoted: it may be personal
                if len(text[_AT[column]]) > limit:
                    why = " (not a code storydesk gave)" if column == "code" else ""
                    raise ValueError(f"{column}: longer than {limit} characters{why}")
        age = self.age[given] if (given := text[_AGE_AT]) else None
        born = self.born[given] if (given := text[_BORN]) else None
        if (signed := _yes_no(text[_SIGNED])) is BAD:
            raise ValueError(f"guardian_signed: '{text[_SIGNED].lower()[:20]}' is not yes or no")
        if (withdrawn := _withdrawn(text[_REVOKED])) is BAD:
            raise ValueError(
                f"revoked: '{text[_REVOKED].lower()[:20]}' is not yes, no or the date of withdrawal"
            )
        written = _WRITTEN(text)
        values = _NOTHING.copy()  # the cells with text, then the values read from theirs
        values.update(compress(zip(_AS_WRITTEN, written, strict=True), written))
        values["age"] = age
        values["date_of_birth"] = born.date() if born else None
        values["guardian_signed"] = signed
        values["submitted_at"] = self.submitted[given] if (given := text[_SUBMITTED]) else None
        values["expires_at"] = self.expires[given] if (given := text[_EXPIRES]) else None
        values["video_urls"] = _split(text[_URLS], self.separator)
        values["consent_scope"] = list(_scope(text[_SCOPE] or None, self.separator))
        values["request_code"] = text[_CODE] or None
        return Form(number, values, withdrawn)
