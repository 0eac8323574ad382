"""Reading a form tool's export (CSV in its many dialects, or XLSX) into validated rows.

Every bad row becomes one reason naming its row number; good rows are kept. A file that
cannot be read at all (encoding, missing columns) is refused whole.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from config.errors import BadInput
from config.schema import ConsentSettings

COLUMNS = [
    "response_id",
    "submitted_at",
    "full_name",
    "age",
    "date_of_birth",
    "city",
    "country",
    "role",
    "email",
    "x_handle",
    "youtube_channel",
    "instagram_handle",
    "facebook_profile",
    "tiktok_handle",
    "linkedin_profile",
    "video_urls",
    "consent_scope",
    "expires_at",
    "guardian_name",
    "guardian_relationship",
    "guardian_signed",
    "signature",
    "form_version",
    "video_file",
    "revoked",
]
REQUIRED = ("response_id", "full_name")
MAX_CELL = 10_000
EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
YES = {"yes", "y", "true", "1", "x", "oui", "sí", "si", "signed"}
NO = {"", "no", "n", "false", "0", "non"}


@dataclass
class Form:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False


@dataclass
class Parsed:
    forms: list[Form]
    rejected: list[str]


def read_export(path: Path, settings: ConsentSettings) -> Parsed:
    rows = _xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise BadInput(f"{path}: the file is empty")
    names = {v: k for k, v in settings.columns.items()}
    canonical = [names.get(h.strip(), h.strip().lower().replace(" ", "_")) for h in header]
    missing = [c for c in REQUIRED if c not in canonical]
    if missing:
        raise BadInput(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (found: {', '.join(h for h in header if h)[:200]})"
        )
    forms, rejected = [], []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        if not any(str(c).strip() for c in cells):
            continue
        record = dict(zip(canonical, cells, strict=False))
        try:
            form = parse_form(number, record, settings.list_separator)
        except ValueError as exc:
            rejected.append(f"{path}: row {number}: {exc}")
            continue
        rid = form.values["response_id"]
        if rid in seen:  # reported here, so that every problem comes in row order
            rejected.append(f"{path}: row {number}: response_id {rid} repeats row {seen[rid]}")
            continue
        seen[rid] = number
        forms.append(form)
    return Parsed(forms, rejected)


def _csv_rows(path: Path) -> Iterator[list[str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text; export the form as CSV UTF-8") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    # csv refuses a field over 128 KiB by failing the whole file; a huge cell must only
    # reject its own row (see MAX_CELL), so no field may be too large for the reader.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise BadInput(f"{path}: not a readable CSV file ({exc})") from None


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadInput(f"{path}: not a readable XLSX workbook ({exc})") from None
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        yield [
            "" if v is None else (v.isoformat() if isinstance(v, datetime | date) else str(v))
            for v in row
        ]
    book.close()


def _text(value: Any, column: str) -> str | None:
    text = str(value or "").strip()
    if len(text) > MAX_CELL:
        raise ValueError(f"{column}: longer than {MAX_CELL} characters")
    if "\x00" in text:  # no database stores it (PostgreSQL refuses); never typed by a person
        raise ValueError(f"{column}: holds a NUL character (a damaged export?)")
    return text or None


def parse_date(value: str | None, column: str) -> datetime | None:
    if not value:
        return None
    if re.fullmatch(r"\d{4,5}(\.\d+)?", value):  # an Excel serial date
        serial = float(value)
        if not 1 <= serial <= 80_000:
            raise ValueError(f"{column}: '{value}' is not a date")
        return EXCEL_EPOCH + timedelta(days=serial)
    for fmt in (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y",
        "%d.%m.%Y",
    ):
        try:
            return datetime.strptime(value[:19], fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{column}: '{value[:40]}' is not a date (use YYYY-MM-DD)") from None


def _split(value: str | None, separator: str) -> list[str]:
    if not value:
        return []
    parts = re.split(rf"[{re.escape(separator)}\n\r,]+|\s+(?=https?://)", value)
    return [p.strip() for p in parts if p.strip()]


def parse_form(number: int, record: dict[str, Any], separator: str) -> Form:
    text = {c: _text(record.get(c), c) for c in COLUMNS}
    if not text["response_id"]:
        raise ValueError("response_id is empty")
    if not text["full_name"]:
        raise ValueError("full_name is empty")
    age = None
    if text["age"]:
        if not re.fullmatch(r"\d{1,3}(\.0)?", text["age"]) or not 0 < float(text["age"]) < 120:
            raise ValueError(f"age: '{text['age'][:20]}' is not an age in years")
        age = int(float(text["age"]))
    born = parse_date(text["date_of_birth"], "date_of_birth")
    signed = (text["guardian_signed"] or "").lower()
    if signed not in YES | NO:
        raise ValueError(f"guardian_signed: '{signed[:20]}' is not yes or no")
    revoked = (text["revoked"] or "").lower()
    values: dict[str, Any] = {
        c: text[c]
        for c in COLUMNS
        if c
        not in (
            "age",
            "date_of_birth",
            "guardian_signed",
            "video_urls",
            "consent_scope",
            "submitted_at",
            "expires_at",
            "revoked",
        )
    }
    values.update(
        age=age,
        date_of_birth=born.date() if born else None,
        guardian_signed=signed in YES,
        submitted_at=parse_date(text["submitted_at"], "submitted_at"),
        expires_at=parse_date(text["expires_at"], "expires_at"),
        video_urls=_split(text["video_urls"], separator),
        consent_scope=[s.lower() for s in _split(text["consent_scope"], separator)],
    )
    return Form(number, values, revoked in YES)
