"""Where staff wait on every key: `storydesk queue --limit 50`, `storydesk show ID` and a
review decision (`storydesk approve ID`), each a whole process as a person runs it, on a
database of 1M posts and on a nearly empty one, next to `python -c "import sqlalchemy.orm"`
measured in the same run: the floor of any command that asks the database through the ORM.
Median of several interleaved runs.

    python bench/queue_show.py [--posts 1000000] [--runs 7] [--db FILE] [--instructions]

Targets (issue 20): each command at most 1.5x the import of sqlalchemy.orm, and within 10 %
between the nearly empty database and 1M posts (every query an index lookup).

With --instructions, each command then runs once more under valgrind's callgrind, which
counts the instructions it executes: the same count however busy the machine is (wall times
here move by a third between runs). Beside the baseline it counts the least a command that
needs the campaign can do: import the ORM and load the campaign file (pydantic, the schema,
validating).

The big database is built once (migrated by alembic, then bulk-filled with sqlite3) and kept
in the temporary folder under a name with its size and schema revision, so the next run
measures without rebuilding (or where --db says).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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
# what the bench's database holds; a kept database of another version is not reused
# (2: every copy of a testimony with a form has its consent match)
DATA_VERSION = 2


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


Rows = list[tuple[object, ...]]


def chunks(posts: int, forms: int, size: int = 50_000) -> Iterator[tuple[Rows, Rows, Rows]]:
    """(testimonies, posts, consent matches) in chunks; every fifth post is another
    platform's copy of the testimony before it, so linked testimonies are part of the
    picture. Each copy of a testimony with a form has its own match row, with the evidence
    that ties its account to the form: without it no copy may go out, and every `approve`
    of the bench was a refusal."""
    rng = random.Random(7)
    testimonies: Rows = []
    rows: Rows = []
    matches: Rows = []
    tid = 0
    consent, form = "none", None
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
        if form is not None:
            handle = f"user{pid % 50_000}"
            evidence = {"by": "handle", "value": handle, "form_field": f"{platform}_handle"}
            matches.append((pid, pid, form, consent, json.dumps(evidence), NOW))
        if len(rows) == size:
            yield testimonies, rows, matches
            testimonies, rows, matches = [], [], []
    if rows:
        yield testimonies, rows, matches


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
        for testimonies, rows, matches in chunks(posts, forms):
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
            con.executemany(
                "INSERT INTO consent_matches (id, post_id, consent_id, state, evidence, "
                "matched_at) VALUES (?, ?, ?, ?, ?, ?)",
                matches,
            )
    con.close()
    print(
        f"built {path}: {posts} posts, {made} testimonies, {forms} consent forms "
        f"in {time.perf_counter() - started:.1f} s"
    )


def median_seconds(
    command: list[str], env: dict[str, str], cwd: Path, runs: int, codes: tuple[int, ...] = (0,)
) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode not in codes:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def cached_database(posts: int, folder: Path) -> Path:
    """The database of `posts` posts, kept across runs (its name says its size and schema)."""
    from db.migrate import head_revision

    path = folder / f"storydesk-bench-queue-{posts}-{head_revision()}-{DATA_VERSION}.db"
    if not path.exists():
        partial = path.with_suffix(".part")
        partial.unlink(missing_ok=True)
        build(partial, posts)
        partial.rename(path)  # only a whole database is ever reused
    else:
        print(f"reusing {path}")
    return path


def pending(storydesk: list[str], env: dict[str, str], folder: Path) -> list[int]:
    """Pending testimonies whose consent is matched and that break no rule: each approval
    of the bench is a decision made, its publications queued, not a refusal."""
    queue = [*storydesk, "queue", "--limit", "50", "--json"]
    done = subprocess.run(queue, env=env, cwd=folder, capture_output=True, check=True)
    items = json.loads(done.stdout)
    assert items and all(i["review"] == "pending" for i in items)
    return [int(i["id"]) for i in items if i["consent"] == "matched" and not i["problems"]]


def instructions(command: list[str], env: dict[str, str], cwd: Path, codes: tuple[int, ...]) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    counted = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode not in codes or counted is None:
        raise SystemExit(f"{' '.join(command)} under valgrind failed: {done.stderr[-1000:]}")
    return int(counted.group(1))


def count_instructions(
    commands: dict[str, tuple[list[str], tuple[int, ...]]], env: dict[str, str], folder: Path
) -> None:
    campaign = (
        "import sqlalchemy.orm; from config.loader import load_campaign; "
        f"load_campaign({env['STORYDESK_CONFIG']!r})"
    )
    floor = instructions([sys.executable, "-c", "import sqlalchemy.orm"], env, folder, (0,))
    print("instructions (valgrind callgrind, one run each, on the big database):")
    print(f"  baseline: python -c 'import sqlalchemy.orm'   {floor / 1e9:5.2f} G")
    rows = {
        "the campaign: the ORM, then load the file": ([sys.executable, "-c", campaign], (0,)),
        "+ our tables (db.models)": (
            [sys.executable, "-c", least_code(env["STORYDESK_CONFIG"])],
            (0,),
        ),
    }
    for name, (command, codes) in {**rows, **commands}.items():
        count = instructions(command, env, folder, codes)
        print(f"  {name:<42} {count / 1e9:5.2f} G  ratio to baseline {count / floor:4.2f}")


def least_code(config: str) -> str:
    # set up and ended as storydesk.cli.main sets up and ends every command (the cycle
    # collector, pydantic's plugins off): without that, the floor took longer than `show`
    return (
        "import os; from storydesk import collector; collector.start(); "
        "os.environ.setdefault('PYDANTIC_DISABLE_PLUGINS', '__all__'); "
        "import sqlalchemy.orm, db.models; from config.loader import load_campaign; "
        f"load_campaign({config!r}); collector.end()"
    )


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100, help="posts in the nearly empty db")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the big database here (reused if present)")
    parser.add_argument(
        "--instructions", action="store_true", help="then count instructions (needs valgrind)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="storydesk-bench-"))
    big = args.db or cached_database(args.posts, Path(tempfile.gettempdir()))
    if not big.exists():
        build(big, args.posts)
    small = folder / "small.db"
    build(small, args.small)

    script = Path(sys.executable).with_name("storydesk")
    storydesk = [str(script)] if script.exists() else [sys.executable, "-m", "storydesk.cli"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("STORYDESK_")}
    base.update(STORYDESK_CONFIG=str(REPO / "config/campaigns/sandbox.toml"), USER="bench")
    envs = {
        "1M": {**base, "STORYDESK_DB": f"sqlite:///{big.resolve()}"},
        "small": {**base, "STORYDESK_DB": f"sqlite:///{small.resolve()}"},
    }
    # decisions change the database: each run approves another pending testimony
    ids = {size: pending(storydesk, env, folder) for size, env in envs.items()}
    shown = {size: str(found[0]) for size, found in ids.items()}
    approvals = {size: iter(found[1:]) for size, found in ids.items()}

    def commands(size: str) -> dict[str, tuple[list[str], tuple[int, ...]]]:
        return {
            "queue --limit 50": ([*storydesk, "queue", "--limit", "50"], (0,)),
            "show ID": ([*storydesk, "show", shown[size]], (0,)),
            # approved, its publications queued (a refusal exits 1 and fails the bench)
            "approve ID": ([*storydesk, "approve", str(next(approvals[size]))], (0,)),
        }

    floor_command = [sys.executable, "-c", "import sqlalchemy.orm"]
    # what show and approve cannot do without: the ORM, our tables, the campaign file read
    # and validated (pydantic): printed beside the target, not instead of it
    least_command = [sys.executable, "-c", least_code(base["STORYDESK_CONFIG"])]
    loads = [load()]
    samples: dict[tuple[str, str], list[float]] = {}
    # one warm-up each (file cache), then interleaved rounds so drift hits all alike
    for round_ in range(args.runs + 1):
        samples.setdefault(("floor", ""), []).append(median_seconds(floor_command, base, folder, 1))
        samples.setdefault(("least", ""), []).append(median_seconds(least_command, base, folder, 1))
        for size, env in envs.items():
            for name, (command, codes) in commands(size).items():
                seconds = median_seconds(command, env, folder, 1, codes)
                samples.setdefault((name, size), []).append(seconds)
        if round_ == 0:
            samples = {key: [] for key in samples}  # the warm-up does not count
    loads.append(load())
    figures = {key: statistics.median(values) for key, values in samples.items()}
    floor = figures[("floor", "")]
    print(
        f"whole-process times, median of {args.runs} runs; "
        f"{args.posts} posts ({big.stat().st_size >> 20} MiB db) and {args.small} posts"
    )
    print(f"  baseline: python -c 'import sqlalchemy.orm'   {floor * 1000:7.1f} ms")
    least = figures[("least", "")]
    print(
        f"  the least show and approve can do (the ORM, our tables, load the campaign): "
        f"{least * 1000:7.1f} ms, ratio to baseline {least / floor:4.2f}"
    )
    worst = 0.0
    for name in commands("small"):
        at_big, at_small = figures[(name, "1M")], figures[(name, "small")]
        ratio, growth = at_big / floor, at_big / at_small
        worst = max(worst, ratio)
        print(
            f"  {name:<17} {at_big * 1000:7.1f} ms at {args.posts} posts, "
            f"{at_small * 1000:7.1f} ms at {args.small}: "
            f"ratio to baseline {ratio:4.2f} ({'ok' if ratio <= 1.5 else 'MISSED'} <= 1.5), "
            f"big / small {growth:4.2f} ({'ok' if abs(growth - 1) <= 0.1 else 'MISSED'} within 10 %)"
        )
    print(f"  worst ratio to baseline {worst:.2f} (target <= 1.5)")
    print(f"  {loads[0]} before, {loads[-1]} after")
    if args.instructions:
        count_instructions(commands("1M"), envs["1M"], folder)


if __name__ == "__main__":
    main()
