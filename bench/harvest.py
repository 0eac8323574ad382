"""Harvest throughput: posts/s through the whole pipeline (four collectors against the
sandbox, over HTTP, with the real clients, parse, rules, linking and store) next to raw
sqlite3 executemany of the same rows, measured in the same run; requests made against the
theoretical minimum; peak RSS of the harvesting process.

    python bench/harvest.py [--posts 100000]

Targets (issue 4): pipeline ≥ 0.5 × raw executemany, peak RSS ≤ 200 MB. The sandbox runs in
its own process, so its world and its CPU count in neither figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# the script's own folder first on sys.path would let a bench/*.py shadow a module
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from config.clock import SystemClock  # noqa: E402
from config.loader import load_campaign  # noqa: E402
from db import migrate  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402
from harvester.pipeline import harvest  # noqa: E402

# The sandbox process: serves the world and first tells what a perfect harvest would cost.
SANDBOX = r"""
import json, math, sys
from sandbox.constants import HASHTAGS
from sandbox.server import start_sandbox
server = start_sandbox(port=0, posts=int(sys.argv[1]), seed=int(sys.argv[2]),
                       youtube_daily_quota=10**12, youtube_search_quota=10**12,
                       x_search_limit=10**9)
world = server.state.world
def tagged(text, tags=HASHTAGS):
    return any(f"#{t.lower()}" in text.lower() for t in tags)
found = {p: [w for w in world.posts if w.platform == p and (p == "facebook" or tagged(w.text))]
         for p in ("x", "youtube", "instagram", "facebook")}
channels = {world.people[w.person].ids["youtube"] for w in found["youtube"]}
yt_pages = math.ceil(len(found["youtube"]) / 50)
minimum = {
    "x search": math.ceil(len(found["x"]) / 100),
    "youtube search": yt_pages,
    "youtube videos": yt_pages,
    # a lower bound: the collector asks once per page that shows a channel not seen before
    "youtube channels": math.ceil(len(channels) / 50),
    "instagram graphql": sum(
        math.ceil(sum(tagged(w.text, [t]) for w in found["instagram"]) / 12) for t in HASHTAGS
    ),
    "facebook tagged": math.ceil(len(found["facebook"]) / 100),
}
print(json.dumps({"base_url": server.base_url, "posts": sum(map(len, found.values())),
                  "minimum": minimum}), flush=True)
sys.stdin.read()
server.stop()
"""
ENDPOINTS = {
    "x GET /2/tweets/search/recent": "x search",
    "youtube GET /youtube/v3/search": "youtube search",
    "youtube GET /youtube/v3/videos": "youtube videos",
    "youtube GET /youtube/v3/channels": "youtube channels",
    "instagram GET /graphql/query": "instagram graphql",
    "graph GET /v25.0/{id}/tagged": "facebook tagged",
}


def start_sandbox(posts: int, seed: int) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, "-c", SANDBOX, str(posts), str(seed)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def campaign(folder: Path, base_url: str) -> Path:
    text = (REPO / "config/campaigns/sandbox.toml").read_text()
    text = text.replace("http://127.0.0.1:8765", base_url)
    text = text.replace(
        "daily_quota = 10000",
        'daily_quota = 1000000000\nbuckets = { "search.list" = 1000000000 }',
    )
    text = re.sub(r'^out = "gallery"', f'out = "{folder / "gallery"}"', text, flags=re.M)
    path = folder / "campaign.toml"
    path.write_text(text)
    return path


def cpu_seconds(pid: int) -> float:
    """User + system CPU of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def requests_made(base_url: str) -> dict[str, int]:
    import requests

    stats = requests.get(f"{base_url}/__sandbox__/stats", timeout=30).json()["requests"]
    made = {f"{p} {e}": n for p, per in stats.items() for e, n in per.items()}
    return {ENDPOINTS.get(k, k): n for k, n in made.items()}


def raw_executemany(source: Path, target: Path) -> tuple[int, float]:
    """The same rows, as stored by the pipeline, into an empty copy of the schema with one
    sqlite3 executemany (same pragmas as the app: WAL, synchronous=NORMAL)."""
    with sqlite3.connect(source) as src:
        schema = [s for (s,) in src.execute("SELECT sql FROM sqlite_master WHERE sql NOT NULL")]
        columns = [c[1] for c in src.execute("PRAGMA table_info(posts)")]
        rows = src.execute(f"SELECT {', '.join(columns)} FROM posts").fetchall()
    db = sqlite3.connect(target)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for statement in schema:
        if not statement.startswith("CREATE TABLE sqlite_"):
            db.execute(statement)
    db.execute("PRAGMA foreign_keys=OFF")  # testimonies, runs, campaign: not copied
    marks = ", ".join("?" for _ in columns)
    started = time.perf_counter()
    with db:
        db.executemany(f"INSERT INTO posts ({', '.join(columns)}) VALUES ({marks})", rows)
    elapsed = time.perf_counter() - started
    db.close()
    return len(rows), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000, help="posts in the world")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-harvest-"))
    sandbox, world = start_sandbox(args.posts, args.seed)
    try:
        database = folder / "storydesk.db"
        engine = make_engine(f"sqlite:///{database}")
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        loaded = load_campaign(campaign(folder, world["base_url"]))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        sandbox_cpu = cpu_seconds(sandbox.pid)
        started, own_cpu = time.perf_counter(), time.process_time()
        summaries = harvest(sessions, loaded, SystemClock())
        elapsed, own_cpu = time.perf_counter() - started, time.process_time() - own_cpu
        sandbox_cpu = cpu_seconds(sandbox.pid) - sandbox_cpu
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        engine.dispose()
        made = requests_made(world["base_url"])
    finally:
        assert sandbox.stdin is not None
        sandbox.stdin.close()
        sandbox.wait(timeout=60)

    for s in summaries:
        print(f"  {s.platform}: {s.status}, {s.new} new, {s.requests} requests {s.error or ''}")
    stored, raw_seconds = raw_executemany(database, folder / "raw.db")
    pipeline_rate, raw_rate = stored / elapsed, stored / raw_seconds
    print(f"world: {args.posts} posts, {world['posts']} carry the campaign's tags or Page tag")
    print(f"stored: {stored} posts ({stored / world['posts']:.1%} of what the platforms show)")
    print(f"pipeline: {elapsed:.1f} s, {pipeline_rate:,.0f} posts/s (HTTP, parse, rules, store)")
    print(
        f"  CPU during the harvest: {own_cpu:.1f} s harvester, {sandbox_cpu:.1f} s sandbox "
        f"(the platforms' side: serving and rendering answers)"
    )
    print(f"raw sqlite3 executemany of the same rows: {raw_rate:,.0f} posts/s")
    print(f"ratio pipeline / raw: {pipeline_rate / raw_rate:.3f} (target >= 0.5)")
    print(
        f"  per CPU second of the harvesting process: {stored / own_cpu:,.0f} posts/s, "
        f"ratio {stored / own_cpu / raw_rate:.3f}"
    )
    total_made = total_min = 0
    for name, minimum in world["minimum"].items():
        n = made.get(name, 0)
        total_made, total_min = total_made + n, total_min + minimum
        print(f"requests {name}: {n} made, {minimum} minimum ({n / max(minimum, 1):.2f}x)")
    print(f"requests total: {total_made} made, {total_min} minimum ({total_made / total_min:.2f}x)")
    print(f"peak RSS: {rss_peak:.0f} MB (before the harvest {rss_before:.0f} MB; target <= 200 MB)")


if __name__ == "__main__":
    main()
