"""Data minimisation: never-matched posts after N days; withdrawn people after takedown."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from compliance.sweep import run_sweep
from config.clock import FakeClock
from db import models
from db.models import AuditEntry, ConsentRecord, Post, Publication
from tests.sandboxed import Setup, load, make_setup, session_factory


@pytest.fixture
def setup(tmp_path: Path, sandbox: Any, db_url: str) -> Setup:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, targets=("x", "gallery"))
    assert setup.cli("run-once").exit_code == 0
    return setup


def test_posts_never_matched_keep_only_ids_url_and_rule_results_after_n_days(
    setup: Setup,
) -> None:
    loaded = load(setup)
    days = loaded.settings.compliance.purge_unmatched_after_days
    sessions = session_factory(setup.db_url)
    with sessions() as session:
        unmatched = session.scalars(
            select(Post.id)
            .join(models.Testimony, models.Testimony.id == Post.testimony_id)
            .where(models.Testimony.consent_state == "none")
        ).all()
        total = session.query(Post).count()
    assert unmatched and len(unmatched) < total

    soon = run_sweep(
        sessions, loaded, FakeClock(datetime.now(UTC) + timedelta(days=days - 1)), steps=[]
    )
    assert soon.minimised == 0
    summary = run_sweep(
        sessions, loaded, FakeClock(datetime.now(UTC) + timedelta(days=days + 1)), steps=[]
    )
    assert summary.minimised == len(unmatched)
    with sessions() as session:
        for post in session.scalars(select(Post)):
            if post.id in unmatched:
                assert post.text == "" and post.raw is None and post.author_handle is None
                assert post.url and post.native_id and post.source_state == "available"
            else:
                assert post.purged_at is None and post.text
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.minimised")
        ).all()
        assert sorted(int(e.subject_id) for e in entries) == sorted(unmatched)
        assert all("days" in e.detail["why"] for e in entries)


def test_a_withdrawn_persons_data_goes_once_every_reshare_is_down(setup: Setup) -> None:
    item = next(
        i
        for i in json.loads(setup.cli("queue", "--json", "--limit", "500").stdout)
        if i["consent"] == "matched" and i["platform"] == "x"
    )
    assert setup.cli("approve", str(item["id"])).exit_code == 0
    assert setup.cli("publish").exit_code == 0
    revoked = setup.cli("consent", "revoke", item["consent_id"], "--reason", "asked by a parent")
    assert revoked.exit_code == 0, revoked.stderr

    loaded, sessions = load(setup), session_factory(setup.db_url)
    waiting = run_sweep(sessions, loaded, FakeClock(datetime.now(UTC)), steps=[])
    assert waiting.withdrawn_waiting == 1 and waiting.withdrawn_purged == 0  # reshare still up

    outcome = setup.cli("compliance", "--json")  # the takedown, then the purge, in one sweep
    assert outcome.exit_code == 0, outcome.stderr
    report = json.loads(outcome.stdout)
    assert report["taken_down"] >= 1 and report["withdrawn_purged"] == 1
    assert any(
        w["method"] == "DELETE" and w["path"].endswith(f"/retweets/{item['native_id']}")
        for w in setup.stats()["writes"]
    )
    with sessions() as session:
        record = session.scalars(
            select(ConsentRecord).where(ConsentRecord.response_id == item["consent_id"])
        ).one()
        assert record.personal_data_purged_at is not None
        assert record.full_name is None and record.email is None and record.x_handle is None
        assert record.video_urls == [] and record.history == []
        assert record.state == "revoked" and record.response_id == item["consent_id"]
        post = session.scalars(select(Post).where(Post.testimony_id == item["id"])).first()
        assert post is not None and post.text == "" and post.author_handle is None
        pubs = session.scalars(
            select(Publication).where(Publication.testimony_id == item["id"])
        ).all()
        assert pubs and all(p.taken_down_at is not None for p in pubs)
        proof = session.scalars(
            select(AuditEntry.action).where(AuditEntry.consent_id == record.id)
        ).all()
        assert "consent.revoked" in proof and "retention.withdrawn-purged" in proof
