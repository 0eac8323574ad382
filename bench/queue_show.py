"""The review queue on a big database: `storydesk queue --limit 50 --json` against
`storydesk --help` (target: at most 1.5x), and `storydesk --help` against
`python -c "import sqlalchemy"` (target: at most 2x). Whole processes, median of several
runs, every figure measured in the same run on the same machine.

    python bench/review_queue.py [--posts 1000000] [--runs 7] [--db FILE]

(Not bench/queue.py: a script there would shadow the standard library's `queue` module
for every other script in this folder.)

The database is built once (migrated by alembic, then bulk-filled with sqlite3) and kept
when --db names a file, so a second run measures without rebuilding.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CAMPAIGN = "learning-never-stops"
PLATFORMS = ("x", "youtube", "instagram", "facebook")
NOW = "2026-11-25 12:00:00.000000"


def migrated(path: Path) -> None:
    from db import migrate
    from db.session import make_engine

    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()


def consent_rows(count: int) -> Iterator[tuple[object, ...]]:
    for i in range(1, count + 1):
        yield (
            i,
            CAMPAIGN,
            f"R{i:07d}",
            f"Person {i}",
            random.choice(("Lyon", "Lima", "Seoul", "Cork")),
            random.choice(("France", "Peru", "Republic of Korea", "Ireland")),
            '["website", "social"]',
            "export.csv",
            i,
            f"{i:064x}",
            NOW,
        )


def chunks(
    posts: int, forms: int, size: int = 50_000
) -> Iterator[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]]:
    """(testimonies, posts) in chunks; every fifth post is another platform's copy of the
    testimony before it, so linked testimonies are part of the picture."""
    rng = random.Random(7)
    testimonies: list[tuple[object, ...]] = []
    rows: list[tuple[object, ...]] = []
    tid = 0
    for pid in range(1, posts + 1):
        if pid % 5 != 0 or tid == 0:
            tid += 1
            roll = rng.random()
            consent = (
                "matched"
                if roll < 0.4
                else "needs-check"
                if roll < 0.45
                else "guardian-required"
                if roll < 0.5
                else "none"
            )
            problem = rng.random() < 0.1
            priority = (
                0 if consent == "matched" and not problem else 1 if consent == "needs-check" else 2
            )
            review = rng.choices(("pending", "approved", "rejected", "held"), (90, 6, 3, 1))[0]
            form = rng.randint(1, forms) if consent != "none" else None
            testimonies.append(
                (tid, CAMPAIGN, consent, form, review, priority, "learner", NOW, NOW)
            )
        platform = PLATFORMS[pid % len(PLATFORMS)]
        long = rng.random() < 0.1
        rows.append(
            (
                pid,
                CAMPAIGN,
                tid,
                platform,
                str(1_860_000_000_000_000_000 + pid),
                f"https://example.invalid/{platform}/{pid}",
                f"user{pid % 50_000}",
                f"Hi, I'm learner {pid}: learning never stops #LearningNeverStops @UNESCO",
                '["LearningNeverStops"]',
                '["UNESCO"]',
                "[]",
                "video",
                95.0 if long else 42.0,
                f"2026-11-{1 + pid % 24:02d} 10:00:00.000000",
                NOW,
                NOW,
                "available",
                "[]",
                '["over 60 s (95 s)"]' if long else "[]",
            )
        )
        if len(rows) == size:
            yield testimonies, rows
            testimonies, rows = [], []
    if rows:
        yield testimonies, rows


def build(path: Path, posts: int) -> None:
    started = time.perf_counter()
    migrated(path)
    forms = max(10, posts // 50)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    made = 0
    with con:
        con.execute(
            "INSERT INTO campaigns (id, name, created_at) VALUES (?, ?, ?)",
            (CAMPAIGN, "Learning never stops", NOW),
        )
        con.executemany(
            "INSERT INTO consent_records (id, campaign_id, response_id, version, full_name, "
            "city, country, video_urls, consent_scope, guardian_signed, source_file, "
            "source_row, row_hash, imported_at, state, history) "
            "VALUES (?, ?, ?, 1, ?, ?, ?, '[]', ?, 0, ?, ?, ?, ?, 'active', '[]')",
            consent_rows(forms),
        )
        for testimonies, rows in chunks(posts, forms):
            made += len(testimonies)
            con.executemany(
                "INSERT INTO testimonies (id, campaign_id, consent_state, consent_id, "
                "review_state, priority, role, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                testimonies,
            )
            con.executemany(
                "INSERT INTO posts (id, campaign_id, testimony_id, platform, native_id, url, "
                "author_handle, text, hashtags, mentions, links, media_type, duration_seconds, "
                "published_at, harvested_at, updated_at, source_state, edit_history, problems) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    con.close()
    print(
        f"built {path}: {posts} posts, {made} testimonies, {forms} consent forms "
        f"in {time.perf_counter() - started:.1f} s"
    )


def median_seconds(command: list[str], env: dict[str, str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the database here (reused if present)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="storydesk-bench-"))
    path = args.db or folder / "queue.db"
    if not path.exists():
        build(path, args.posts)
    else:
        print(f"reusing {path}")

    empty = folder / "empty.db"
    migrated(empty)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYDESK_")}
    env["STORYDESK_DB"] = f"sqlite:///{path.resolve()}"
    empty_env = {**env, "STORYDESK_DB": f"sqlite:///{empty}"}
    script = Path(sys.executable).with_name("storydesk")
    storydesk = [str(script)] if script.exists() else [sys.executable, "-m", "storydesk.cli"]
    queue = [*storydesk, "queue", "--limit", "50", "--json"]
    check = subprocess.run(queue, env=env, cwd=folder, capture_output=True, check=True)
    items = json.loads(check.stdout)
    assert len(items) == 50 and all(i["review"] == "pending" for i in items)

    # one warm-up each (file cache), then interleaved rounds so drift hits all alike
    commands = {
        "queue --limit 50 --json": (queue, env),
        "storydesk --help": ([*storydesk, "--help"], env),
        "python -c 'import sqlalchemy'": ([sys.executable, "-c", "import sqlalchemy"], env),
        # context: the same command on an empty database (what the 1M rows add), and the
        # import every SQLAlchemy ORM command pays before it can ask anything
        "queue, empty database": (queue, empty_env),
        "python -c 'import sqlalchemy.orm'": (
            [sys.executable, "-c", "import sqlalchemy.orm"],
            env,
        ),
    }
    for command, command_env in commands.values():
        median_seconds(command, command_env, folder, 1)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, (command, command_env) in commands.items():
            samples[name].append(median_seconds(command, command_env, folder, 1))
    figures = {name: statistics.median(values) for name, values in samples.items()}

    print(f"whole-process times, median of {args.runs} runs ({path.stat().st_size >> 20} MiB db)")
    for name, seconds in figures.items():
        print(f"  {name:<32} {seconds * 1000:8.1f} ms")
    queue_ratio = figures["queue --limit 50 --json"] / figures["storydesk --help"]
    help_ratio = figures["storydesk --help"] / figures["python -c 'import sqlalchemy'"]
    size_ratio = figures["queue --limit 50 --json"] / figures["queue, empty database"]
    print(f"  queue / --help                    {queue_ratio:5.2f}  (target <= 1.5)")
    print(f"  --help / import sqlalchemy        {help_ratio:5.2f}  (target <= 2.0)")
    floor = figures["python -c 'import sqlalchemy.orm'"] / figures["storydesk --help"]
    print(f"  queue: {args.posts} posts / empty {size_ratio:5.2f}  (indexes: about 1)")
    print(f"  import sqlalchemy.orm / --help    {floor:5.2f}  (the floor of any ORM command)")
    if queue_ratio > 1.5:
        print(
            "  queue misses 1.5x --help: importing the ORM alone costs "
            f"{floor:.1f}x --help, whatever the query does"
        )


if __name__ == "__main__":
    main()
