"""Consent matching at scale: 100k posts against 50k consent records, then twice both.

Synthetic posts and forms go straight into a fresh SQLite database (bulk inserts), then the
app's `match_all` runs in a fresh process, as `storydesk match` would; each size twice, on
copies of its database, keeping the best. The posts mix every kind of evidence (video URL
on the form, stable channel id, handle in its written variants, a typo in the handle, name
and city only, nobody's form), so each path of the matcher is timed. Linear work means the
doubled run takes about twice as long; all-pairs comparisons would take 4x.

Two figures per size: the first match, which also writes every post's result, every
testimony's state and one audit entry per change (100k rows each); and matching again with
nothing changed, the matching work itself (read, index, judge, compare). Wall and CPU time
are both printed: CPU time is steadier when other processes share the machine.

    python bench/consent.py [--records 50000] [--repeat 2] [--no-issue-code]

Targets (issues 5 and 20): <= 5 s for the first match of 100k posts against 50k forms;
doubled <= 2.2x that.

The 5 s are seconds of the machine the issue was measured on, where the code of commit
2342458 took 9.15 s for the same first match (its README; issue 5's closing note quotes the
figure, and issue 20 repeats it). Seconds of another machine cannot be measured here, so
the script also runs that commit's own bench on its own world of the same size, in the same
run (its files taken from git into a temporary folder, on the libraries installed here):
the target becomes at most 5 / 9.15 = 0.55 of that code's time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from config.clock import FakeClock  # noqa: E402
from config.loader import load_campaign  # noqa: E402
from config.schema import LoadedCampaign  # noqa: E402
from consent.matching import match_all  # noqa: E402
from db import migrate  # noqa: E402
from db.models import Campaign, ConsentRecord, Post, Testimony  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "config/campaigns/sandbox.toml"
# the code issue 20's "9.15 s" was measured on (see the docstring), and the target
ISSUE_CODE, ISSUE_SECONDS, TARGET_SECONDS = "2342458", 9.15, 5.0
NOW = datetime(2026, 5, 1, tzinfo=UTC)
SYLLABLES = ["ka", "mo", "ri", "la", "sa", "na", "to", "be", "di", "lu", "ja", "ne", "ro", "chi",
             "wa", "el", "an", "ma", "ku", "so", "te", "yo", "ha", "mi", "da", "go", "ve", "zu"]  # fmt: skip
# Names as a multinational campaign has them: many, a few of them common (weights 1/(rank+10))
FIRST = [(a + b).title() for a in SYLLABLES for b in SYLLABLES]
LAST = [(a + b + c).title() for a in SYLLABLES[:20] for b in SYLLABLES for c in SYLLABLES[:12]]
CITIES = ["Nairobi", "Lagos", "Dakar", "Paris", "Lyon", "Madrid", "Bogotá", "Lima", "Cairo", "Cork"]
KINDS = ["video", "video", "handle", "handle", "channel", "typo", "name", "stranger"]


def typo(handle: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(handle) - 1)
    return handle[:i] + handle[i + 1] + handle[i] + handle[i + 2 :]


def handle_for(name: str, taken: set[str], rng: random.Random) -> str:
    """A handle as people pick them: their name, often a number; unique on the platform."""
    first, last = name.split()
    handle = rng.choice([f"{first}{last}", f"{first}_{last}", f"{first}{last[:3]}", first])
    while handle.lower() in taken:
        handle += str(rng.randint(0, 99))
    taken.add(handle.lower())
    return handle


def generate(
    records: int, posts: int, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    first, last = rng.sample(FIRST, len(FIRST)), rng.sample(LAST, len(LAST))  # common != alike
    firsts = rng.choices(first, [1 / (k + 10) for k in range(len(first))], k=records)
    lasts = rng.choices(last, [1 / (k + 10) for k in range(len(last))], k=records)
    people, taken = [], set[str]()
    forms: list[dict[str, Any]] = []
    for i in range(records):
        name = f"{firsts[i]} {lasts[i]}"
        person = {"name": name, "city": rng.choice(CITIES), "x": handle_for(name, taken, rng)}
        person["channel"] = f"UC{i:022d}"
        people.append(person)
        forms.append(
            {
                "campaign_id": "learning-never-stops",
                "response_id": f"R{i}",
                "full_name": name,
                "age": rng.randint(8, 70),
                "city": person["city"],
                "guardian_signed": rng.random() < 0.5,
                "guardian_name": "A. Guardian",
                "x_handle": rng.choice(
                    [f"@{person['x']}", person["x"].lower(), f"https://x.com/{person['x']}"]
                ),  # fmt: skip
                "youtube_channel": person["channel"],
                "video_urls": [f"https://www.youtube.com/watch?v=v{i:010d}"],
                "consent_scope": ["website", "social"],
                "source_file": "bench.csv",
                "source_row": i + 2,
                "row_hash": f"{i:064d}",
                "imported_at": NOW,
                "history": [],
            }
        )
    rows: list[dict[str, Any]] = []
    for n in range(posts):
        i = rng.randrange(records)
        person, kind = people[i], KINDS[n % len(KINDS)]
        platform, url, author_id, handle = "x", f"https://x.com/s/status/{n}", f"9{i}", None
        if kind == "video":
            platform, url, author_id = "youtube", f"https://www.youtube.com/watch?v=v{i:010d}", None
        elif kind == "channel":
            platform, url, author_id = "youtube", f"https://youtu.be/p{n:010d}", person["channel"]
        elif kind == "handle":
            handle = rng.choice([person["x"], person["x"].upper()])
        elif kind == "typo":
            handle = typo(person["x"], rng)
        elif kind == "stranger":
            handle, author_id = f"stranger{n}", f"8{n}"
        rows.append(
            {
                "campaign_id": "learning-never-stops",
                "testimony_id": n + 1,
                "platform": platform,
                "native_id": str(n),
                "url": url,
                "author_id": author_id,
                "author_handle": handle,
                "author_name": person["name"] if kind != "stranger" else "Nobody Known",
                "text": f"I'm {person['name'].split()[0]} from {person['city']} #LearningNeverStops",
                "harvested_at": NOW,
                "updated_at": NOW,
            }
        )
    return forms, rows


def timed(sessions: sessionmaker[Session], loaded: LoadedCampaign) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, summary) of one `match_all`: CPU time shows the work
    itself when other processes share the machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    summary = match_all(sessions, loaded, FakeClock(NOW))
    return time.perf_counter() - wall, time.process_time() - cpu, summary


def fill(records: int, posts: int, path: Path) -> None:
    """A fresh database holding `records` forms and `posts` posts, one testimony each."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    forms, rows = generate(records, posts, seed=records)
    with sessions.begin() as session:
        session.add(Campaign(id="learning-never-stops", name="bench", created_at=NOW))
        session.flush()
        session.execute(insert(ConsentRecord), forms)
        session.execute(
            insert(Testimony),
            [
                {
                    "id": n + 1,
                    "campaign_id": "learning-never-stops",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(posts)
            ],  # fmt: skip
        )
        session.execute(insert(Post), rows)
    with engine.connect() as connection:  # one file to copy for each run
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def match_twice(path: Path) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_session_factory(engine)
    loaded = load_campaign(SHIPPED)
    first = timed(sessions, loaded)  # writes every post's match, state and audit entry
    again = timed(sessions, loaded)  # nothing changed: reads, matches, compares
    engine.dispose()
    return {"first": first, "again": again, "counts": Counter(first[2].counts)}


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        return fresh.submit(function, *args).result()


def run(records: int, posts: int, repeat: int) -> dict[str, Any]:
    """Fill a database once; then, `repeat` times, match a copy of it in a fresh process,
    as `storydesk match` runs (nothing the filling or another run left in memory weighs on
    it). The best time of the runs is kept: other work on the machine only ever adds."""
    with tempfile.TemporaryDirectory(prefix="storydesk-bench-") as folder:
        filled = Path(folder) / f"bench-{records}.db"
        in_fresh_process(fill, records, posts, filled)
        runs = []
        for n in range(repeat):
            copy = Path(folder) / f"run-{n}.db"
            shutil.copyfile(filled, copy)
            runs.append(in_fresh_process(match_twice, copy))
            copy.unlink()
    best = {key: min((r[key] for r in runs), key=lambda t: t[0]) for key in ("first", "again")}
    return {**best, "counts": runs[0]["counts"]}


FIRST_LINE = re.compile(r"first match \(writes every result\):\s+([\d.]+) s wall,\s+([\d.]+) s CPU")


def issue_code_first_match(records: int) -> tuple[float, float] | str:
    """(wall, CPU seconds) of the first match by the issue's code at `records` forms, or
    why it could not be measured. Its bench prints the base size first; it is stopped
    there (its doubled size is not needed)."""
    with tempfile.TemporaryDirectory(prefix="storydesk-issue-code-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ISSUE_CODE],
            capture_output=True,
            check=False,
            timeout=120,
        )
        if archive.returncode != 0:
            return f"git has no commit {ISSUE_CODE} here ({archive.stderr.decode()[:120].strip()})"
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True, timeout=120)
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYDESK_")}
        env["PYTHONUNBUFFERED"] = "1"  # its lines as it prints them
        command = [sys.executable, "bench/consent.py", "--records", str(records)]
        # one pipe for both streams: a child writing much to an unread stderr would block
        with subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as child:
            assert child.stdout is not None
            last = ""
            try:
                for line in child.stdout:
                    if found := FIRST_LINE.search(line):
                        return float(found[1]), float(found[2])
                    last = line.strip() or last
            finally:
                child.kill()
            return f"its bench printed no first match (last: {last[-300:]})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per size; the best counts")
    parser.add_argument(
        "--no-issue-code",
        action="store_true",
        help=f"do not measure the code of {ISSUE_CODE} (the issue's 9.15 s) beside this one",
    )
    args = parser.parse_args()
    results = []
    for scale in (1, 2):
        records, posts = args.records * scale, args.records * 2 * scale
        result = run(records, posts, args.repeat)
        results.append(result)
        (wall, cpu, _), (wall2, cpu2, _) = result["first"], result["again"]
        states = ", ".join(f"{k} {v}" for k, v in sorted(result["counts"].items()))
        print(f"{posts} posts against {records} forms  [{states}]  best of {args.repeat}")
        print(f"  first match (writes every result): {wall:6.2f} s wall, {cpu:6.2f} s CPU")
        print(f"  match again (nothing changed):     {wall2:6.2f} s wall, {cpu2:6.2f} s CPU")
    base, double = results
    issue = None if args.no_issue_code else issue_code_first_match(args.records)
    if isinstance(issue, tuple):
        print(
            f"the issue's code ({ISSUE_CODE}; {ISSUE_SECONDS} s on the issue's machine) at "
            f"{args.records * 2} posts against {args.records} forms, here: first match "
            f"{issue[0]:.2f} s wall, {issue[1]:.2f} s CPU"
        )
    elif issue is not None:
        print(f"the issue's code ({ISSUE_CODE}) not measured: {issue}")
    for key, label in (("first", "first match"), ("again", "match again")):
        wall, cpu = base[key][0], base[key][1]
        ratio_wall, ratio_cpu = double[key][0] / wall, double[key][1] / cpu
        verdict = "ok" if ratio_cpu <= 2.2 else "MISSED"
        print(
            f"{label}: base {wall:.2f} s wall ({'ok' if wall <= 5 else 'MISSED'} <= 5 s), "
            f"doubled/base {ratio_wall:.2f}x wall, {ratio_cpu:.2f}x CPU ({verdict} <= 2.2x)"
        )
    if isinstance(issue, tuple):
        share, allowed = base["first"][0] / issue[0], TARGET_SECONDS / ISSUE_SECONDS
        print(
            f"first match against the issue's code, same run: {base['first'][0]:.2f} s / "
            f"{issue[0]:.2f} s = {share:.2f} of its time, CPU {base['first'][1] / issue[1]:.2f} "
            f"({'ok' if share <= allowed else 'MISSED'} <= {allowed:.2f}: "
            f"{TARGET_SECONDS:g} s of its {ISSUE_SECONDS} s)"
        )


if __name__ == "__main__":
    main()
