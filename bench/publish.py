"""Publisher throughput on PostgreSQL, measured against baselines from the same run.

1. Scaling: about 1,000 approved publications (x, youtube, facebook, linkedin, gallery)
   published by 4 `storydesk publish` processes, against 1 process. Every sandbox request
   answers after --latency seconds (a slow fault), modelling the network, so the platform
   is not the bottleneck; each run starts from a copy of the same prepared database and a
   fresh sandbox, and is checked for exactly-once (one create call per publication).
2. Rate limit: the sandbox's own X limit (300 writes per 15-minute window) against a
   backlog larger than two windows can carry. Sandbox and publishers share one clock
   running --speedup times faster than the wall, so windows pass in seconds. Printed:
   retweets in the first two windows against what the limit allows, and the requests
   sent after the first 429 of a window (until its reset), for 1 and for 4 processes.

    python bench/publish.py [--posts 700] [--latency 0.1] [--speedup 100]
        [--only scaling|limit]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from config.loader import load_campaign  # noqa: E402
from db import migrate  # noqa: E402
from db.models import AuditEntry, Publication  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402
from sandbox.server import SandboxServer, start_sandbox  # noqa: E402
from tests.pgserver import PostgresServer, find_bindir  # noqa: E402
from tests.publisher.flow import QUICK, approve_matched, by_state, creates, outbox  # noqa: E402
from tests.sandboxed import Setup, make_setup  # noqa: E402

X_LIMIT, X_WINDOW = 300, 15 * 60  # sandbox/x_api.py: the "write" bucket


class Databases:
    """Databases on one throwaway server: a migrated template, copies of prepared ones."""

    def __init__(self, server: PostgresServer) -> None:
        self.server, self.count = server, 0
        self.admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        self.create("bench_template")
        engine = make_engine(server.url("bench_template"))
        migrate.upgrade(engine)
        engine.dispose()

    def create(self, name: str, template: str | None = None) -> str:
        with self.admin.connect() as conn:
            suffix = f" TEMPLATE {template}" if template else ""
            conn.execute(text(f"CREATE DATABASE {name}{suffix}"))
        return self.server.url(name)

    def fresh(self, template: str = "bench_template") -> tuple[str, str]:
        self.count += 1
        name = f"bench_{self.count}"
        return name, self.create(name, template)


def place(folder: Path, name: str) -> Path:
    path = folder / name
    path.mkdir()
    return path


# -- 1. scaling ---------------------------------------------------------------------------


def publish_with(setup: Setup, processes: int) -> float:
    """Seconds for `processes` publishers to empty the outbox (start-up included)."""
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            setup.command("publish"),
            env=setup.subprocess_env(),
            cwd=setup.path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for process in running:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a publisher failed (exit {process.returncode}): {err}")
    return time.perf_counter() - started


def scaling(databases: Databases, folder: Path, posts: int, latency: float) -> None:
    server = start_sandbox(port=0, posts=posts, seed=11)
    try:
        name, url = databases.fresh()
        prepared = make_setup(place(folder, "prepared"), server.base_url, url, targets=QUICK)
        approve_matched(prepared)
        databases.admin.dispose()  # CREATE DATABASE ... TEMPLATE needs it unused
        queued = outbox(url)
        print(
            f"1. scaling: {len(queued)} approved publications "
            f"({len(queued) - sum(by_state(queued, 'queued').values())} already settled), "
            f"sandbox latency {latency * 1000:.0f} ms a request, PostgreSQL"
        )
        figures: dict[int, float] = {}
        for processes in (1, 4):
            requests.post(f"{server.base_url}/__sandbox__/reset", timeout=10)
            requests.post(
                f"{server.base_url}/__sandbox__/faults",
                json={"platform": "*", "kind": "slow", "ratio": 1.0, "delay": latency},
                timeout=10,
            )
            _, run_url = databases.fresh(template=name)
            run = Setup(place(folder, f"run{processes}"), prepared.config, run_url, server.base_url)
            seconds = publish_with(run, processes)
            rows = outbox(run_url)
            done = by_state(rows, "done")
            posted = creates(run.stats())
            once = posted == done - Counter({"gallery": done["gallery"]})
            settled = sum(1 for r in rows if r.state in ("done", "skipped"))
            figures[processes] = settled / seconds
            print(
                f"  {processes} process{'es' if processes > 1 else '  '}: {settled} settled "
                f"({sum(done.values())} published, {settled - sum(done.values())} skipped) "
                f"in {seconds:6.2f} s = {settled / seconds:6.1f}/s; "
                f"exactly once: {'yes' if once and settled == len(rows) else 'NO'}"
            )
        print(f"  4 processes / 1 process: {figures[4] / figures[1]:.2f}x (target >= 3x)")
    finally:
        server.stop()


# -- 2. rate limit ------------------------------------------------------------------------


class FastClock:
    """Wall time until start(); then `speedup` times faster. Shared by the sandbox and
    the publishers (forked after start(), so they agree on the origin)."""

    def __init__(self, speedup: float) -> None:
        self.speedup = speedup
        self.origin: float | None = None

    def start(self) -> None:
        self.origin = time.time()

    def now(self) -> datetime:
        wall = time.time()
        if self.origin is None:
            return datetime.fromtimestamp(wall, UTC)
        return datetime.fromtimestamp(self.origin + (wall - self.origin) * self.speedup, UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.speedup)


def publisher_loop(config: Path, db_url: str, clock: FastClock, stop: Any) -> None:
    """One publisher process: a publish cycle, a short pause, again, until told to stop."""
    from publisher.outbox import publish_due

    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    loaded = load_campaign(config)
    while not stop.is_set():
        publish_due(sessions, loaded, clock, target="x")
        clock.sleep(2)  # a cycle every 2 s of platform time
    engine.dispose()


@dataclass
class Window:
    start: datetime
    ok: int = 0
    limited: int = 0
    after_first_429: int = 0  # sent while the first 429 was on its way back, mostly
    after_known: int = 0  # arrived after the publishers had held the target back


def windows(writes: list[dict[str, Any]], known: list[datetime]) -> list[Window]:
    """The sandbox's windows (one opens at the first write after the last one closed);
    `known`: when the publishers held the target back (their audit rows)."""
    found: list[Window] = []
    for write in writes:
        at = datetime.fromisoformat(write["time"])
        if not found or at.replace(microsecond=0) >= found[-1].start + timedelta(seconds=X_WINDOW):
            found.append(Window(at.replace(microsecond=0)))
        window = found[-1]
        if window.limited:
            window.after_first_429 += 1
            recorded = [k for k in known if window.start <= k <= at]
            window.after_known += bool(recorded)
        if write["status"] == 429:
            window.limited += 1
        elif write["status"] < 300:
            window.ok += 1
    return found


def holds_recorded(db_url: str) -> list[datetime]:
    """When the publishers held the X target back after a 429 (their audit rows)."""
    engine = make_engine(db_url)
    with Session(engine) as session:
        found = session.scalars(
            select(AuditEntry.at).where(AuditEntry.action == "target.held")
        ).all()
    engine.dispose()
    return sorted(found)


@contextmanager
def fast_sandbox(clock: FastClock, posts: int) -> Iterator[SandboxServer]:
    server = start_sandbox(port=0, posts=posts, seed=11, now=clock.now)
    try:
        yield server
    finally:
        server.stop()


def rate_limited(databases: Databases, folder: Path, processes: int, speedup: float) -> None:
    clock = FastClock(speedup)
    with fast_sandbox(clock, 200) as server:
        # X-only testimonies, enough for three windows
        requests.post(
            f"{server.base_url}/__sandbox__/posts",
            json={"count": 2200, "platform": "x"},
            timeout=60,
        )
        _, url = databases.fresh()
        setup = make_setup(place(folder, f"limit{processes}"), server.base_url, url, targets=("x",))
        approve_matched(setup)
        engine = make_engine(url)
        with engine.connect() as conn:
            backlog = conn.scalar(select(func.count()).select_from(Publication))
        clock.start()
        context = multiprocessing.get_context("fork")
        stop = context.Event()
        workers = [
            context.Process(target=publisher_loop, args=(setup.config, url, clock, stop))
            for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        first: datetime | None = None
        # two whole windows, then a few seconds of the third
        while first is None or clock.now() < first + timedelta(seconds=2 * X_WINDOW + 30):
            time.sleep(0.2)
            writes = setup.stats()["writes"]
            if writes and first is None:
                first = datetime.fromisoformat(writes[0]["time"])
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        retweets = [w for w in setup.stats()["writes"] if w["path"].endswith("/retweets")]
        measured = windows(retweets, holds_recorded(url))[:2]
        in_two = sum(w.ok for w in measured)
        late = sum(w.after_first_429 for w in measured)
        after_known = sum(w.after_known for w in measured)
        label = f"{processes} process{'es' if processes > 1 else '  '}"
        print(
            f"  {label}: {in_two} retweets in 2 windows (limit allows {2 * X_LIMIT}) = "
            f"{in_two / (2 * X_LIMIT):.3f}x the limit (target >= 0.95x); "
            f"429s per window {[w.limited for w in measured]}; "
            f"requests after a window's first 429: {late}, of which after the target was "
            f"held back in the outbox: {after_known} (target 0); backlog {backlog}"
        )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=700, help="sandbox posts (scaling)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--speedup", type=float, default=100, help="clock speed (rate limit)")
    parser.add_argument("--only", choices=["scaling", "limit"], help="run one part")
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found (Debian: postgresql package)")
    folder = Path(tempfile.mkdtemp(prefix="storydesk-bench-"))
    os.chdir(folder)
    server = PostgresServer(bindir)
    server.start()
    try:
        databases = Databases(server)
        if args.only != "limit":
            scaling(databases, folder, args.posts, args.latency)
        if args.only == "scaling":
            return
        print(
            f"2. rate limit: sandbox X writes {X_LIMIT} per {X_WINDOW // 60} min window, "
            f"clock x{args.speedup:.0f}, PostgreSQL"
        )
        for processes in (1, 4):
            rate_limited(databases, folder, processes, args.speedup)
        databases.admin.dispose()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
