"""The import's history digests and audit details, made a batch at a time, are the bytes the
definitions give: row_hash of each form, and the audit column's own conversion of each
detail (redaction included), so databases written before re-import as unchanged."""

from __future__ import annotations

import operator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from config import redact
from config.schema import ConsentSettings
from consent.parse import read_export
from consent.register import (
    AUDIT,
    FIELDS,
    HASHED,
    _converters,
    _DateTexts,
    _Writer,
    row_hash,
    row_hashes,
)
from tests.consent.conftest import NOW, form, sessions_of, write_export
from tests.sandboxed import Setup, load

_text = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["Léa", "李娜", '"\\\n', "%s"]))
_moment = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))
_VALUES: dict[str, Any] = {
    "submitted_at": st.one_of(st.none(), _moment),
    "expires_at": st.one_of(st.none(), _moment),
    "date_of_birth": st.one_of(st.none(), st.dates()),
    "age": st.one_of(st.none(), st.integers(1, 119)),
    "guardian_signed": st.booleans(),
    "video_urls": st.lists(st.text(max_size=8), max_size=3),
    "consent_scope": st.sampled_from([[], ["all"], ["website", "social"]]),
}
values_of_a_form = st.fixed_dictionaries({k: _VALUES.get(k, _text) for k in FIELDS})


def _columns(forms: list[dict[str, Any]]) -> dict[str, Any]:
    pick = operator.itemgetter(*HASHED)
    return dict(zip(HASHED, zip(*map(pick, forms), strict=True), strict=True))


@settings(max_examples=200, deadline=None)
@given(st.lists(values_of_a_form, min_size=1, max_size=6))
def test_row_hashes_are_row_hash_of_each_form(forms: list[dict[str, Any]]) -> None:
    assert row_hashes(_columns(forms)) == [row_hash(values) for values in forms]


# Plain ASCII text, as most columns of most exports hold: a column of it goes into the
# document as it is; one quote, backslash, control character or blank sends it the long way.
_plain = st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
                           max_size=10), st.sampled_from(["%s", "100%", "a\tb", "\x7f"]))  # fmt: skip
plain_forms = st.fixed_dictionaries({k: _VALUES.get(k, _plain) for k in FIELDS})


@settings(max_examples=200, deadline=None)
@given(st.lists(plain_forms, min_size=1, max_size=8))
def test_row_hashes_of_plain_text_columns_are_row_hash_of_each_form(
    forms: list[dict[str, Any]],
) -> None:
    assert row_hashes(_columns(forms)) == [row_hash(values) for values in forms]


def test_row_hashes_of_an_export_with_every_kind_of_cell(tmp_path: Path) -> None:
    rows = [
        form("R1", "Léa Dubois", submitted_at="2026-03-04T10:00:00+02:00", age="15",
             date_of_birth="2011-01-02", guardian_signed="yes", code="RQ1",
             video_urls="https://a.example/1, https://b.example/2", consent_scope="website"),
        form("R2", "李 娜", submitted_at="24/03/2026", expires_at="45123", consent_scope=""),
        form("R3", 'Quote "Q" Person', city="Nairobi", revoked="yes"),
    ]  # fmt: skip
    parsed = read_export(write_export(tmp_path / "f.csv", rows), ConsentSettings())
    values = [f.values for f in parsed.forms]
    assert len(values) == 3
    assert row_hashes(_columns(values)) == [row_hash(v) for v in values]


def test_audit_details_are_the_columns_own_conversion(desk: Setup) -> None:
    """On SQLite the writer makes each new form's detail itself: the same text the audit
    column's type makes, for response ids that hold token shapes and known secrets too."""
    redact.remember("sk-live-0123456789abcdef")
    rids = ["R1", "token=abcdefgh1", "Bearer abcdefghij", "xsk-live-0123456789abcdefx",
            "AIza" + "b" * 33, 'q"uote\\', "Léa\u2028", "%s%d"]  # fmt: skip
    numbers = list(range(2, 2 + len(rids)))
    try:
        with sessions_of(desk)() as session:
            writer = _writer(session)
            if session.get_bind().dialect.name != "sqlite":  # the driver wraps JSON itself
                assert not writer.json_as_text
                return
            assert writer.json_as_text == {"detail", "video_urls", "consent_scope"}
            made = writer._details(rids, numbers)
            through_type = _converters(session, AUDIT, ["detail"])["detail"]
            assert made == [
                through_type({"response_id": r, "row": n})
                for r, n in zip(rids, numbers, strict=True)
            ]
            assert "sk-live" not in "".join(made) and "abcdefgh" not in "".join(made)
    finally:
        redact.forget_all()


def _writer(session: Session) -> _Writer:
    from consent.register import ImportReport

    return _Writer(session, "c", "f.csv", NOW, "kim", ImportReport(), lambda line: None)


def test_reimport_of_every_kind_of_cell_is_unchanged(desk: Setup) -> None:
    """A form stored is unchanged when imported again (its digest is the one stored)."""
    from consent.register import import_export

    rows = [
        form("R1", "Léa", submitted_at="2026-03-04T10:00:00+02:00", code="RQ7", age="15",
             guardian_signed="oui", date_of_birth="2011-02-03"),
        form("R2", "Kofi", submitted_at="2026-03-04T08:00:00Z", expires_at="25/03/2028"),
    ]  # fmt: skip
    export = write_export(desk.path / "forms.csv", rows)
    first = import_export(sessions_of(desk), load(desk), export, NOW, "kim")
    again = import_export(sessions_of(desk), load(desk), export, NOW, "kim")
    assert (first.new, again.unchanged, again.updated) == (2, 2, 0)


def test_forms_values_hash_as_before() -> None:
    """A fixed form's digest, as stored by every import so far: a change of these bytes would
    mark every stored form updated on the next import."""
    values = dict.fromkeys(FIELDS)
    values.update(
        submitted_at=datetime(2026, 3, 4, 10, tzinfo=UTC), full_name="Léa", age=15,
        date_of_birth=date(2011, 2, 3), video_urls=["https://a.example/1"],
        consent_scope=["website"], guardian_signed=True,
    )  # fmt: skip
    digest = "00dcbc7390039c635bf2ddb9972ffed4c19a7bc4c1a56ae061e1a63b95e30e49"
    assert row_hash(values) == digest
    assert row_hashes(_columns([values])) == [digest]


def test_date_texts_tell_one_moment_at_two_offsets_apart(monkeypatch: Any) -> None:
    """Made once per date object, not per equal date: 10:00 at +02:00 is 08:00 UTC."""
    import json

    import consent.register

    here = datetime(2026, 3, 4, 10, tzinfo=timezone(timedelta(hours=2)))
    utc = datetime(2026, 3, 4, 8, tzinfo=UTC)
    assert here == utc
    texts = _DateTexts()
    want = [json.dumps(here.isoformat()), json.dumps(utc.isoformat()), "null"]
    assert texts([here, utc, None, here]) == [*want, want[0]]
    monkeypatch.setattr(consent.register, "REMEMBERED", 3)  # then forgotten, and made again
    days = [date(2026, 1, n) for n in range(1, 6)]
    assert texts(days) == [json.dumps(d.isoformat()) for d in days]
    assert texts([None, here]) == ["null", want[0]]
