"""Prometheus metrics from the daemon, scraped as Prometheus would and read with its parser."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from db.models import Post
from tests.sandboxed import make_setup, session_factory


def scrape(url: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def _metrics_url(log: Path, process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            event = json.loads(line)
            if event.get("event") == "metrics.serving":
                return str(event["url"])
        assert process.poll() is None, log.read_text()
        time.sleep(0.2)
    raise AssertionError("the daemon never said where its metrics are")


# slow: the daemon as a real process, scraped over HTTP
@pytest.mark.slow
def test_the_daemon_serves_metrics_on_localhost_read_from_the_database(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, every="1h")
    assert setup.cli("harvest").exit_code == 0
    with session_factory(sqlite_url)() as session:
        stored = dict(
            session.execute(select(Post.platform, func.count()).group_by(Post.platform)).all()
        )
    log = tmp_path / "daemon.log"
    process = subprocess.Popen(
        setup.command("daemon", "--log-json", "--metrics-port", "0"),
        env=setup.subprocess_env(),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
    )
    try:
        url = _metrics_url(log, process)
        assert url.startswith("http://127.0.0.1:")
        metrics = scrape(url)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert metrics["storydesk_database_up"][()] == 1
    harvested = {
        dict(labels)["platform"]: value
        for labels, value in metrics["storydesk_posts_harvested_total"].items()
    }
    assert harvested == {p: float(n) for p, n in stored.items()}
    requests_made = metrics["storydesk_platform_requests_total"]
    assert all(value > 0 for value in requests_made.values())
    assert metrics["storydesk_quota_units_total"][(("platform", "youtube"),)] > 0
    assert (("platform", "youtube"),) in metrics["storydesk_quota_used_today"]
    queue = metrics["storydesk_queue_testimonies"]
    assert sum(queue.values()) > 0
    assert all(dict(labels)["review"] == "pending" for labels in queue)
    assert "storydesk_takedowns_pending" in metrics


def test_metrics_count_publications_and_alarms(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    from config.clock import SystemClock
    from storydesk.ops.metrics import serve_metrics
    from tests.sandboxed import load

    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, every="1h")
    assert setup.cli("harvest").exit_code == 0
    queue = json.loads(setup.cli("queue", "--json", "--consent", "matched").stdout)
    assert setup.cli("approve", str(queue[0]["id"])).exit_code == 0
    setup.cli("publish")
    server = serve_metrics(session_factory(sqlite_url), load(setup), SystemClock().now, 0)
    try:
        metrics = scrape(f"http://127.0.0.1:{server.server_address[1]}/metrics")
    finally:
        server.shutdown()
        server.server_close()
    done = {
        dict(labels)["target"]
        for labels, value in metrics["storydesk_publications"].items()
        if dict(labels)["state"] == "done" and value > 0
    }
    assert "gallery" in done
    report = json.loads(setup.cli("status", "--json").stdout)
    alarms = metrics.get("storydesk_alarms", {})
    assert sum(alarms.values()) == len(report["alarms"])
