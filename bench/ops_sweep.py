"""Compliance sweep cost: X tweet lookup in batches of 100 vs one tweet per request (the
baseline, measured in the same run against the same sandbox), and what an idle cron cycle
costs (`run-once` with nothing due) next to one bare lease claim.

    python bench/ops_sweep.py [--posts 800]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compliance.sources import sweep_x, x_lookup  # noqa: E402
from compliance.summary import ComplianceSummary  # noqa: E402
from config.clock import SystemClock  # noqa: E402
from config.loader import load_campaign  # noqa: E402
from db import migrate  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402
from harvester.pipeline import harvest  # noqa: E402
from platforms.x import search_client as x_search_client  # noqa: E402
from sandbox.server import start_sandbox  # noqa: E402
from storydesk.ops import locks  # noqa: E402
from storydesk.ops.jobs import LEASE_TTL, Actions, Outcome, Runner, plan  # noqa: E402
from storydesk.ops.logs import EventLog  # noqa: E402


def campaign(folder: Path, base_url: str, batch: int) -> Path:
    shipped = Path(__file__).resolve().parents[1] / "config/campaigns/sandbox.toml"
    text = shipped.read_text().replace("http://127.0.0.1:8765", base_url)
    text = re.sub(r"^\[compliance\]$", f"[compliance]\nx_lookup_batch = {batch}", text, flags=re.M)
    path = folder / f"batch{batch}.toml"
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=800)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="storydesk-bench-"))
    server = start_sandbox(port=0, posts=args.posts, seed=11)
    clock = SystemClock()
    try:
        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        batched = load_campaign(campaign(folder, server.base_url, 100))
        single = load_campaign(campaign(folder, server.base_url, 1))
        harvest(sessions, batched, clock, ["x"])

        figures = {}
        for name, loaded in (("batch 100", batched), ("baseline: 1 per request", single)):
            summary = ComplianceSummary()
            started = time.perf_counter()
            sweep_x(sessions, loaded, clock, summary, x_lookup(x_search_client(loaded), clock))
            figures[name] = (
                summary.checked["x"],
                summary.requests["x"],
                time.perf_counter() - started,
            )
        print(f"X compliance lookup, {args.posts} sandbox posts")
        for name, (checked, requests, seconds) in figures.items():
            print(f"  {name:<24} {checked:>5} tweets  {requests:>5} requests  {seconds:7.3f} s")
        (_, r100, s100), (_, r1, s1) = figures.values()
        print(f"  requests: {r1 / r100:.0f}x fewer; time: {s1 / s100:.1f}x faster with batches")

        log = EventLog(open("/dev/null", "w"), clock=clock)  # noqa: SIM115
        idle = Outcome("idle", "ok")
        actions = Actions(lambda p, r: idle, lambda: idle, lambda: idle, lambda: idle)
        runner = Runner(sessions, batched, clock, actions, log, holder="bench:1")
        # x was harvested for real; the stubs leave no run rows for the other platforms
        jobs = [j for j in plan(batched) if j.kind != "harvest" or j.platform == "x"]
        runner.cycle(jobs)  # everything runs once; afterwards nothing is due
        rounds = 200
        started = time.perf_counter()
        for _ in range(rounds):
            assert runner.cycle(jobs) == []
        idle_ms = (time.perf_counter() - started) / rounds * 1000
        started = time.perf_counter()
        for i in range(rounds):
            locks.claim_lease(sessions, f"bench:{i}", "bench:1", clock.now(), LEASE_TTL)
        claim_ms = (time.perf_counter() - started) / rounds * 1000
        print(
            f"idle cycle (nothing due, {len(jobs)} jobs): {idle_ms:.2f} ms; "
            f"one lease claim (baseline): {claim_ms:.2f} ms; ratio {idle_ms / claim_ms:.1f}"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
