"""The import is streamed and stored in batches, one transaction each: repeats and
withdrawals are found across batches, and a crash mid-import leaves whole rows only (each
stored form with its audit entry), which importing the file again completes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from consent.register import _Writer, import_export
from db.models import AuditEntry, ConsentRecord
from tests.consent.conftest import NOW, form, sessions_of, write_export
from tests.sandboxed import Setup, load


def stored(setup: Setup) -> dict[str, tuple[str, int]]:
    """response_id -> (state, consent.new audit entries) of every stored form."""
    with sessions_of(setup)() as session:
        audits = dict(
            session.execute(
                select(AuditEntry.consent_id, func.count())
                .where(AuditEntry.action == "consent.new")
                .group_by(AuditEntry.consent_id)
            ).all()
        )
        return {
            r.response_id: (r.state, audits.get(r.id, 0))
            for r in session.scalars(select(ConsentRecord))
        }


def test_repeats_and_withdrawals_are_found_across_batches(desk: Setup) -> None:
    rows = [form(f"R{n}", f"Person {n}") for n in range(7)]
    rows += [form("R1", "Someone Else"), form("R2", "Person 2", revoked="yes")]
    export = write_export(desk.path / "forms.csv", rows)
    lines: list[str] = []
    report = import_export(
        sessions_of(desk), load(desk), export, NOW, "kim", on_reject=lines.append, batch=2
    )
    assert (report.rows, report.new, report.rejected_rows, report.revoked) == (9, 7, 2, 1)
    assert [line.split(": row ")[1] for line in lines] == [
        "9: response_id R1 repeats row 3",
        "10: response_id R2 repeats row 4; the row is not stored, but the withdrawal it "
        "records is: consent R2 is revoked",
    ]
    forms = stored(desk)
    assert forms["R2"] == ("revoked", 1) and forms["R1"] == ("active", 1)


def test_a_crash_mid_import_loses_nothing(desk: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [form(f"R{n}", f"Person {n}") for n in range(7)]
    rows[1]["revoked"] = "yes"
    export = write_export(desk.path / "forms.csv", rows)
    sessions, loaded = sessions_of(desk), load(desk)
    calls, store = 0, _Writer._store

    def killed_on_the_third_batch(self: _Writer, batch: list[Any]) -> list[str]:
        nonlocal calls
        calls += 1
        lines = store(self, batch)  # the batch is written, then the process dies
        if calls == 3:
            raise KeyboardInterrupt
        return lines

    monkeypatch.setattr(_Writer, "_store", killed_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        import_export(sessions, loaded, export, NOW, "kim", batch=2)
    # two batches committed, whole: each form with its audit entry, the withdrawal with it
    assert stored(desk) == {
        "R0": ("active", 1),
        "R1": ("revoked", 1),
        "R2": ("active", 1),
        "R3": ("active", 1),
    }

    monkeypatch.undo()
    report = import_export(sessions, loaded, export, NOW, "kim", batch=2)
    assert (report.rows, report.new, report.unchanged, report.revoked) == (7, 3, 4, 0)
    assert stored(desk) == {f"R{n}": ("revoked" if n == 1 else "active", 1) for n in range(7)}


def test_new_records_outside_the_id_range_still_get_their_audit_entries(
    desk: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new records' ids are read as the range after the last id before the insert; a
    record not found there (a sequence that jumped back) is looked up by response id."""
    from sqlalchemy import literal

    import consent.register

    monkeypatch.setattr(consent.register, "LAST_ID", select(literal(10**9)))
    rows = [form(f"R{n}", f"Person {n}") for n in range(5)]
    export = write_export(desk.path / "forms.csv", rows)
    report = import_export(sessions_of(desk), load(desk), export, NOW, "kim", batch=2)
    assert report.new == 5
    assert stored(desk) == {f"R{n}": ("active", 1) for n in range(5)}
    with sessions_of(desk)() as session:
        audited = session.execute(
            select(AuditEntry.consent_id, AuditEntry.subject_id, ConsentRecord.id)
            .join(ConsentRecord, ConsentRecord.id == AuditEntry.consent_id)
            .where(AuditEntry.action == "consent.new")
        ).all()
    assert len(audited) == 5 and all(str(c) == s == str(r) for c, s, r in audited)


def test_a_first_import_sees_forms_another_writer_stores_meanwhile(
    desk: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first import looks up no stored forms while the campaign holds only its own (its
    repeats found among them); once another writer stores one between two batches, it
    looks them up again: a form stored meanwhile is then unchanged, not a second record
    (nor a refused batch), and a repeat of a row read before is still one."""
    rows = [form(f"R{n}", f"Person {n}") for n in range(6)]
    export = write_export(desk.path / "forms.csv", [*rows, form("R1", "Again"), rows[4]])
    other = write_export(desk.path / "other.csv", [rows[4]])
    sessions, loaded = sessions_of(desk), load(desk)
    calls, store = 0, _Writer._store
    shortcut: list[bool] = []

    def another_import_after_the_first_batch(self: _Writer, batch: list[Any]) -> list[str]:
        nonlocal calls
        calls += 1
        shortcut.append(self.only_ours_after is not None)
        if calls == 2:
            assert import_export(sessions, loaded, other, NOW, "lee").new == 1
        return store(self, batch)

    monkeypatch.setattr(_Writer, "_store", another_import_after_the_first_batch)
    lines: list[str] = []
    report = import_export(sessions, loaded, export, NOW, "kim", lines.append, batch=2)
    assert (report.rows, report.new, report.unchanged, report.rejected_rows) == (8, 5, 1, 2)
    assert [line.split(": row ")[1] for line in lines] == [
        "8: response_id R1 repeats row 3",
        "9: response_id R4 repeats row 6",
    ]
    assert stored(desk) == {f"R{n}": ("active", 1) for n in range(6)}
    # the shortcut is SQLite's alone (a PostgreSQL sequence may give another session a lower
    # id committed later), and is given up once another writer has stored a form
    sqlite = sessions.kw["bind"].dialect.name == "sqlite"
    assert shortcut[0] is sqlite and shortcut[-1] is False
