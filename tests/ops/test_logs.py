"""Event lines: one per event, key=value or JSON, never a credential."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from config.clock import FakeClock
from config.loader import load_campaign
from storydesk.ops.logs import EventLog, credential_values
from tests.sandboxed import campaign_text


def test_key_value_lines_quote_what_needs_quoting() -> None:
    out = io.StringIO()
    EventLog(out, clock=FakeClock()).info(
        "job.done", job="harvest:x", new=3, error="HTTP 503 twice"
    )
    assert out.getvalue() == (
        "at=2026-11-24T12:00:00+00:00 level=info event=job.done job=harvest:x new=3 "
        'error="HTTP 503 twice"\n'
    )


def test_json_lines_are_one_object_each() -> None:
    out = io.StringIO()
    log = EventLog(out, as_json=True, clock=FakeClock())
    log.info("job.start", job="publish")
    log.error("job.done", job="publish", status="failed", seconds=1.23456)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[1] == {
        "at": "2026-11-24T12:00:00+00:00",
        "level": "error",
        "event": "job.done",
        "job": "publish",
        "status": "failed",
        "seconds": 1.235,
    }


def test_credential_values_never_reach_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORYDESK_X_BEARER_TOKEN", "AAAAsecret-bearer-token-value")
    monkeypatch.setenv("STORYDESK_LINKEDIN_ACCESS_TOKEN", "li-secret-token-12345")
    (tmp_path / "c.toml").write_text(campaign_text("http://127.0.0.1:9", tmp_path))
    secrets = credential_values(load_campaign(tmp_path / "c.toml").settings)
    assert set(secrets) == {"AAAAsecret-bearer-token-value", "li-secret-token-12345"}
    out = io.StringIO()
    log = EventLog(out, clock=FakeClock(), secrets=secrets)
    log.error("library", message="401 for Bearer AAAAsecret-bearer-token-value")
    assert "secret" not in out.getvalue() and "Bearer ***" in out.getvalue()
