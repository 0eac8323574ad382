"""Alerts reach people: one message per new alarm and one per recovery, by e-mail and webhook.

The suite starts its own SMTP server (aiosmtpd) and webhook receiver on 127.0.0.1; the
campaign's `[alerts]` points at them. Something is broken (a credential unset, a job
crashing every cycle), cycles run, it is fixed, cycles run again: each receiver gets
exactly one alarm and one recovery.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from config.clock import FakeClock
from config.loader import load_campaign
from db.models import Campaign, HarvestRun
from db.session import transaction
from storydesk.ops.alerts import send_alerts
from storydesk.ops.jobs import Actions, Job, Outcome, Runner
from storydesk.ops.logs import EventLog
from tests.sandboxed import campaign_text, session_factory


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def bodies(self) -> list[str]:
        return [m.get_payload(decode=True).decode() for m in self.messages]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd checks it is up by connecting: no port 0
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[dict[str, Any]], str]]:
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    # shutdown() waits for serve_forever's next poll: 0.5 s by default
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/B000/XXXX"
    finally:
        server.shutdown()
        server.server_close()


ALERTS = """
[alerts]
email_to = ["ops@example.org"]
digest_to = ["comms@example.org"]
email_from = "storydesk@example.org"
smtp_host = "127.0.0.1"
smtp_port = {port}
smtp_security = "none"
webhook_url_env = "STORYDESK_TEST_WEBHOOK"
digest_at = "09:00"
"""


@pytest.fixture
def world(
    tmp_path: Path,
    sqlite_url: str,
    smtp: tuple[Inbox, int],
    webhook: tuple[list[dict[str, Any]], str],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    monkeypatch.setenv("STORYDESK_TEST_WEBHOOK", webhook[1])
    config = tmp_path / "campaign.toml"
    config.write_text(
        campaign_text("http://127.0.0.1:9", tmp_path, extra=ALERTS.format(port=smtp[1]))
    )
    loaded = load_campaign(config)
    sessions = session_factory(sqlite_url)
    clock = FakeClock()  # 2026-11-24 12:00 UTC: the 09:00 digest is due once today
    with transaction(sessions) as s:
        s.add(Campaign(id=loaded.id, name="c", created_at=clock.now()))
    return {"loaded": loaded, "sessions": sessions, "clock": clock}


def _run(world: dict[str, Any], status: str, error: str | None = None) -> None:
    """A harvest of x recorded as it ended: ok, or failed with `error`."""
    now = world["clock"].now()
    with transaction(world["sessions"]) as s:
        s.add(
            HarvestRun(
                campaign_id=world["loaded"].id,
                platform="x",
                query="(setup)" if error else "q",
                config_hash="h",
                started_at=now,
                finished_at=now,
                status=status,
                new_count=1 if status == "ok" else 0,
                error=error,
                error_kind="config" if error else None,
            )
        )


class _Alarms:
    """The webhook's posts about alarms (the daily digest goes there too)."""

    def __init__(self, received: list[dict[str, Any]]) -> None:
        self.received = received

    def _posts(self) -> list[dict[str, Any]]:
        return [h for h in self.received if "daily digest" not in h["text"]]

    def __len__(self) -> int:
        return len(self._posts())

    def __getitem__(self, n: int) -> dict[str, Any]:
        return self._posts()[n]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._posts())

    def __eq__(self, other: object) -> bool:
        return self._posts() == other

    __hash__ = None  # type: ignore[assignment]


def _cycle(world: dict[str, Any]) -> None:
    world["clock"].advance(120)
    send_alerts(world["sessions"], world["loaded"], world["clock"].now())


def test_one_alert_and_one_recovery_reach_email_and_webhook(
    world: dict[str, Any], smtp: tuple[Inbox, int], webhook: tuple[list[dict[str, Any]], str]
) -> None:
    inbox, _ = smtp
    hooks = _Alarms(webhook[0])
    _run(world, "failed", "platforms.x.bearer_token_env: environment variable X_TOKEN is not set")
    for _ in range(3):
        _cycle(world)
    alarms = [s for s in inbox.subjects() if "ALARM" in s]
    assert alarms == ["[storydesk learning-never-stops] ALARM credential"]
    body = next(b for s, b in zip(inbox.subjects(), inbox.bodies(), strict=True) if "ALARM" in s)
    assert "X_TOKEN is not set" in body and "What to do: set the variable" in body
    assert len(hooks) == 1
    assert "ALARM credential" in hooks[0]["text"] and "X_TOKEN is not set" in hooks[0]["text"]

    _run(world, "ok")  # the variable was set; the next harvest worked
    for _ in range(3):
        _cycle(world)
    recovered = [s for s in inbox.subjects() if "RECOVERED" in s]
    assert recovered == ["[storydesk learning-never-stops] RECOVERED credential"]
    assert len(hooks) == 2 and "RECOVERED credential" in hooks[1]["text"]
    assert [s for s in inbox.subjects() if "ALARM" in s] == alarms  # nothing sent twice


def test_a_job_crashing_every_cycle_alerts_once_through_the_runner(
    world: dict[str, Any], smtp: tuple[Inbox, int], webhook: tuple[list[dict[str, Any]], str]
) -> None:
    from storydesk.ops.alerts import alerts_job

    inbox, _ = smtp
    hooks = _Alarms(webhook[0])
    clock, sessions, loaded = world["clock"], world["sessions"], world["loaded"]
    crashing = [True]

    def publish() -> Outcome:
        if crashing[0]:
            raise RuntimeError("template {quote} has no value")
        return Outcome("publish", "ok")

    actions = Actions(
        harvest=lambda _p, _r: Outcome("harvest", "ok"),
        match=lambda: Outcome("match", "ok"),
        publish=publish,
        compliance=lambda: Outcome("compliance", "ok"),
        alerts=alerts_job(sessions, loaded, clock.now),
    )
    runner = Runner(sessions, loaded, clock, actions, EventLog(clock=clock))
    jobs = [
        Job("publish", "publish", timedelta(minutes=10)),
        Job("alerts", "alerts", timedelta(minutes=1)),
    ]
    for _ in range(4):
        runner.cycle(jobs)
        clock.advance(600)
    crashing[0] = False
    for _ in range(3):
        runner.cycle(jobs)
        clock.advance(600)
    about_publish = [s for s in inbox.subjects() if "job-failed" in s]
    assert about_publish == [
        "[storydesk learning-never-stops] ALARM job-failed",
        "[storydesk learning-never-stops] RECOVERED job-failed",
    ]
    assert [h["text"].split("\n")[0] for h in hooks] == [
        "[storydesk learning-never-stops] ALARM job-failed",
        "[storydesk learning-never-stops] RECOVERED job-failed",
    ]
    assert "RuntimeError: template {quote} has no value" in hooks[0]["text"]


def test_a_sending_that_fails_is_tried_again_and_then_sent_once(
    world: dict[str, Any],
    webhook: tuple[list[dict[str, Any]], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hooks, url = _Alarms(webhook[0]), webhook[1]
    monkeypatch.setenv("STORYDESK_TEST_WEBHOOK", url.replace("127.0.0.1:", "127.0.0.1:1"))
    _run(world, "failed", "platforms.x.bearer_token_env: environment variable X_TOKEN is not set")
    world["clock"].advance(60)
    first = send_alerts(world["sessions"], world["loaded"], world["clock"].now())
    assert first.errors and hooks == []
    monkeypatch.setenv("STORYDESK_TEST_WEBHOOK", url)
    for _ in range(2):
        _cycle(world)
    assert len(hooks) == 1


def test_the_daily_digest_tells_staff_what_waits_once_a_day(
    world: dict[str, Any], smtp: tuple[Inbox, int], webhook: tuple[list[dict[str, Any]], str]
) -> None:
    from db.models import Testimony

    inbox, _ = smtp
    hooks, _ = webhook
    now = world["clock"].now()
    with transaction(world["sessions"]) as s:
        for consent in ("matched", "needs-check", "needs-check", "none"):
            s.add(
                Testimony(
                    campaign_id=world["loaded"].id,
                    consent_state=consent,
                    created_at=now,
                    updated_at=now,
                )
            )
    for _ in range(5):
        _cycle(world)
    digests = [m for m in inbox.messages if "daily digest" in str(m["Subject"])]
    assert len(digests) == 1
    assert digests[0]["To"] == "comms@example.org"
    assert (
        "4 testimonies await review, 2 need a consent check, 0 takedowns to do by hand"
        in digests[0].get_payload(decode=True).decode()
    )
    # the same digest, once, on the webhook (where staff may read it rather than mail)
    posted = [h["text"] for h in hooks if "daily digest" in h["text"]]
    assert len(posted) == 1
    assert (
        "4 testimonies await review, 2 need a consent check, 0 takedowns to do by hand"
        in (posted[0])
    )
    world["clock"].advance(24 * 3600)
    _cycle(world)
    assert len([m for m in inbox.messages if "daily digest" in str(m["Subject"])]) == 2
    assert len([h for h in hooks if "daily digest" in h["text"]]) == 2


def test_a_digest_the_webhook_refused_is_posted_later_and_not_mailed_again(
    world: dict[str, Any],
    smtp: tuple[Inbox, int],
    webhook: tuple[list[dict[str, Any]], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, _ = smtp
    hooks, url = webhook
    monkeypatch.setenv("STORYDESK_TEST_WEBHOOK", url.replace("127.0.0.1:", "127.0.0.1:1"))
    _cycle(world)
    assert [m for m in inbox.messages if "daily digest" in str(m["Subject"])]
    assert hooks == []
    monkeypatch.setenv("STORYDESK_TEST_WEBHOOK", url)
    for _ in range(3):
        _cycle(world)
    assert len([h for h in hooks if "daily digest" in h["text"]]) == 1
    assert len([m for m in inbox.messages if "daily digest" in str(m["Subject"])]) == 1


def _gallery(world: dict[str, Any], action: str, detail: dict[str, Any]) -> None:
    from db import audit

    with transaction(world["sessions"]) as s:
        audit.record(
            s,
            at=world["clock"].now(),
            actor="publisher",
            action=action,
            subject_type="gallery",
            subject_id=world["loaded"].id,
            detail=detail,
        )


def test_a_failed_gallery_rebuild_alerts_once_and_recovers_once(
    world: dict[str, Any], smtp: tuple[Inbox, int], webhook: tuple[list[dict[str, Any]], str]
) -> None:
    inbox, _ = smtp
    hooks = _Alarms(webhook[0])
    for _ in range(3):  # the rebuild fails every cycle until the disk is freed
        _gallery(world, "gallery.rebuild-failed", {"error": "No space left on device"})
        _cycle(world)
    assert [s for s in inbox.subjects() if "gallery" in s] == [
        "[storydesk learning-never-stops] ALARM gallery"
    ]
    assert len(hooks) == 1 and "No space left on device" in hooks[0]["text"]
    assert "What to do: fix what the error says" in hooks[0]["text"]
    _gallery(world, "gallery.rebuilt", {"cards": 3})
    for _ in range(3):
        _cycle(world)
    assert [s for s in inbox.subjects() if "gallery" in s] == [
        "[storydesk learning-never-stops] ALARM gallery",
        "[storydesk learning-never-stops] RECOVERED gallery",
    ]
    assert [h["text"].split("\n")[0] for h in hooks] == [
        "[storydesk learning-never-stops] ALARM gallery",
        "[storydesk learning-never-stops] RECOVERED gallery",
    ]
