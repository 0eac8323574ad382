"""The audit trail: decisions leave who/when/what/which consent version; rows never change."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from db import models
from db.session import make_engine
from tests.review.conftest import as_user, opened, queue_json
from tests.sandboxed import Setup


def trail(setup: Setup, tid: int | None = None) -> list[tuple[object, ...]]:
    with opened(setup) as session:
        query = select(models.AuditEntry).order_by(models.AuditEntry.id)
        if tid is not None:
            query = query.where(
                models.AuditEntry.subject_type == "testimony",
                models.AuditEntry.subject_id == str(tid),
            )
        return [
            (e.id, e.at, e.actor, e.action, e.subject_id, e.detail, e.consent_version)
            for e in session.scalars(query)
        ]


def test_each_decision_is_an_audit_row_naming_who_when_what_and_the_consent(
    harvested: Setup,
) -> None:
    tid = next(i["id"] for i in queue_json(harvested, "--consent", "matched"))
    before = datetime.now(UTC)
    assert as_user(harvested, "approve", str(tid), "--note", "fine", user="ana").exit_code == 0
    assert as_user(harvested, "reject", str(tid), "--reason", "blurry", user="ben").exit_code == 0
    after = datetime.now(UTC)
    with opened(harvested) as session:
        form = session.scalars(
            select(models.ConsentRecord)
            .join(models.Testimony, models.Testimony.consent_id == models.ConsentRecord.id)
            .where(models.Testimony.id == tid)
        ).one()
        entries = session.scalars(
            select(models.AuditEntry)
            .where(models.AuditEntry.action.like("review.%"))
            .order_by(models.AuditEntry.id)
        ).all()
    assert [(e.actor, e.action, e.subject_type, e.subject_id) for e in entries] == [
        ("ana", "review.approve", "testimony", str(tid)),
        ("ben", "review.reject", "testimony", str(tid)),
    ]
    for entry in entries:
        assert before <= entry.at <= after
        assert (entry.consent_id, entry.consent_version) == (form.id, form.version)
        assert entry.detail["consent_state"] == "matched"
    assert entries[0].detail["note"] == "fine" and entries[1].detail["note"] == "blurry"
    # the publications the approval queued are in the trail too, by the same reviewer
    actions = [(row[2], row[3]) for row in trail(harvested, tid)]
    assert ("ana", "review.approve") in actions and len(actions) > len(entries)


def test_a_decision_records_the_consent_version_it_relied_on(harvested: Setup) -> None:
    item = next(i for i in queue_json(harvested, "--consent", "matched"))
    export = harvested.path / "consent.csv"
    with export.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["response_id"] == item["consent_id"]:
            row["email"] = "new-address@example.org"  # the person corrected the form
    with export.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert harvested.cli("consent", "import", str(export)).exit_code == 0
    assert as_user(harvested, "approve", str(item["id"])).exit_code == 0
    decision = [e for e in trail(harvested, item["id"]) if e[3] == "review.approve"]
    assert [e[6] for e in decision] == [2]


def test_the_audit_table_refuses_update_and_delete(harvested: Setup) -> None:
    tid = queue_json(harvested, "--consent", "matched")[0]["id"]
    assert as_user(harvested, "approve", str(tid), user="ana").exit_code == 0
    kept = trail(harvested)
    assert kept
    engine = make_engine(harvested.db_url)
    try:
        statements = ["UPDATE audit_log SET actor = 'eve'", "DELETE FROM audit_log"]
        if engine.dialect.name == "postgresql":
            statements.append("TRUNCATE audit_log")
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        # nor through the ORM, as a careless command would try
        with pytest.raises(DBAPIError, match="append-only"):
            with opened(harvested) as session, session.begin():
                entry = session.scalars(select(models.AuditEntry)).first()
                assert entry is not None
                entry.actor = "eve"
    finally:
        engine.dispose()
    assert trail(harvested) == kept


def test_later_decisions_only_append(harvested: Setup) -> None:
    tid = queue_json(harvested, "--consent", "matched")[0]["id"]
    assert as_user(harvested, "approve", str(tid)).exit_code == 0
    first = trail(harvested)
    assert as_user(harvested, "hold", str(tid), "--note", "wait").exit_code == 0
    assert as_user(harvested, "approve", str(tid)).exit_code == 0
    later = trail(harvested)
    assert later[: len(first)] == first and len(later) > len(first)
    assert [e[3] for e in later if e[3].startswith("review.")] == [
        "review.approve",
        "review.hold",
        "review.approve",
    ]
