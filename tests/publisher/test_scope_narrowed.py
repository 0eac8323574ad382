"""A form re-imported with a narrower scope, or an expiry date now past: what already went
out where the form no longer allows it comes down at the next match and publish, the
gallery card included; what it still allows stays."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models  # its Testimony by name: pytest collects a `Test*` imported here
from db.models import ConsentRecord, Publication
from db.session import make_engine
from tests.publisher.flow import approve_matched, outbox
from tests.sandboxed import Setup


def _forms_of(db_url: str) -> dict[int, str]:
    """testimony id -> the response id of its form."""
    engine = make_engine(db_url)
    with Session(engine) as session:
        found = {
            t.id: session.get_one(ConsentRecord, t.consent_id).response_id
            for t in session.scalars(
                select(models.Testimony).where(models.Testimony.consent_id.is_not(None))
            )
        }
    engine.dispose()
    return found


def _takedowns_asked(db_url: str) -> dict[int, str | None]:
    """publication id -> the reason, of the reshares whose takedown was asked for."""
    engine = make_engine(db_url)
    with Session(engine) as session:
        asked = {
            p.id: p.takedown_reason
            for p in session.scalars(
                select(Publication).where(Publication.takedown_requested_at.is_not(None))
            )
        }
    engine.dispose()
    return asked


def _reimport(setup: Setup, changes: dict[str, dict[str, str]]) -> None:
    reader = csv.DictReader(io.StringIO((setup.path / "consent.csv").read_text("utf-8")))
    rows = list(reader)
    for row in rows:
        row.update(changes.get(row["response_id"], {}))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(reader.fieldnames or []))
    writer.writeheader()
    writer.writerows(rows)
    path = setup.path / "consent-again.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    imported = setup.cli("consent", "import", str(path))
    assert imported.exit_code == 0, imported.stderr
    assert f"{len(changes)} updated" in imported.stdout


def test_a_scope_narrowed_or_a_form_expired_after_publishing_takes_the_reshares_down(
    ready: Setup,
) -> None:
    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    forms = _forms_of(ready.db_url)
    out = [r for r in outbox(ready.db_url) if r.state == "done"]
    on_gallery = sorted({forms[r.testimony_id] for r in out if r.target == "gallery"})
    assert len(on_gallery) >= 3
    narrowed, expired, kept = on_gallery[:3]
    _reimport(
        ready,
        {
            narrowed: {"consent_scope": "youtube"},
            expired: {"expires_at": "2001-01-01"},
        },
    )
    assert ready.cli("match").exit_code == 0
    assert ready.cli("publish").exit_code in (0, 1)  # TikTok has no delete API: a person acts

    rows = outbox(ready.db_url)
    asked = _takedowns_asked(ready.db_url)
    for row in rows:
        form = forms.get(row.testimony_id)
        if row.state not in ("done", "taken-down"):
            continue
        if form == narrowed and row.target != "youtube":
            assert row.id in asked, row
            assert "does not cover" in (asked[row.id] or "")
        elif form == expired:
            assert row.id in asked, row
            assert "consent expired on 2001-01-01" in (asked[row.id] or "")
        else:
            assert row.id not in asked, row
            assert row.state == "done"
    taken = {(forms[r.testimony_id], r.target) for r in rows if r.state == "taken-down"}
    assert (narrowed, "gallery") in taken and (expired, "gallery") in taken
    assert (narrowed, "youtube") not in taken

    feed = json.loads((ready.path / "gallery" / "feed.json").read_text("utf-8"))
    shown = {forms[int(item["id"])] for item in feed["items"]}
    assert kept in shown
    assert narrowed not in shown and expired not in shown


def test_a_form_that_expires_by_the_clock_alone_is_taken_down_by_the_compliance_sweep(
    ready: Setup,
) -> None:
    """No re-import, no harvest and so no match (a campaign that has stopped harvesting):
    the date passes, and the sweep asks for the takedown of what went out on that form."""
    from datetime import UTC, datetime, timedelta

    from compliance.sweep import run_sweep
    from config.clock import FakeClock
    from tests.sandboxed import load, session_factory

    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    forms = _forms_of(ready.db_url)
    out = [r for r in outbox(ready.db_url) if r.state == "done"]
    expiring = sorted({forms[r.testimony_id] for r in out if r.target == "gallery"})[0]
    ends = datetime.now(UTC) + timedelta(days=10)
    _reimport(ready, {expiring: {"expires_at": f"{ends:%Y-%m-%d}"}})
    assert ready.cli("match").exit_code == 0  # still valid: nothing asked yet
    assert _takedowns_asked(ready.db_url) == {}

    sessions = session_factory(ready.db_url)
    later = FakeClock(ends + timedelta(days=1))
    summary = run_sweep(sessions, load(ready), later, steps=[])
    sessions.kw["bind"].dispose()
    mine = [r for r in out if forms[r.testimony_id] == expiring]
    assert summary.takedowns_requested == len(mine) > 0
    asked = _takedowns_asked(ready.db_url)
    assert sorted(asked) == sorted(r.id for r in mine)
    assert all(f"consent expired on {ends:%Y-%m-%d}" in (why or "") for why in asked.values())
