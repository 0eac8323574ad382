"""Consent import: `storydesk consent import FILE` on a form tool's export, next to what the
libraries alone take for the same file, measured in the same run; peak RSS of the import.

The export is synthetic but shaped like a real one: all 25 columns, names, handles, video
links, scopes, dates (ISO and unambiguous day-first), some minors with a guardian, 1 % of
rows withdrawn. The baseline is Python's csv module reading the same file plus sqlite3
executemany of the same rows into a table of the same columns, in one transaction: the
floor set by the libraries. Two figures, each in a fresh process on a fresh SQLite
database: the import itself (read, check every cell, store with provenance, history hash
and an audit entry per form, in batches), and the whole command as a person runs it, which
then matches every post against the forms (that part is bench/consent.py's). Each is run
`--repeat` times; the best counts. Wall and CPU time are both printed: CPU time is steadier
when other processes share the machine.

With `--large-mb N`, an export of about N MB (1024 for the 1 GB case) is then imported to
show that the import's peak RSS does not grow with the file (it is streamed).

    python bench/consent_import.py [--rows 100000] [--repeat 2] [--large-mb 1024]

Targets (issue 20): 100k rows in <= 3x the baseline; peak RSS <= 200 MB however many rows.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "config/campaigns/sandbox.toml"
NOW = datetime(2026, 5, 1, tzinfo=UTC)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))


FIRST = ["Amina", "Léa", "Juma", "Omar", "Ana", "Mateo", "李", "Sofía", "Kofi", "Priya", "Noah",
         "Fatima", "Ivan", "Chloé", "Tunde", "Mei", "Carlos", "Aisha", "Lukas", "Zanele"]  # fmt: skip
LAST = ["Kamau", "Dubois", "Diop", "Haddad", "Silva", "García", "娜", "Okafor", "Nguyen",
        "Kowalski", "Mensah", "Rossi", "Tanaka", "Haddad", "Santos", "Ivanova"]  # fmt: skip
CITIES = ["Nairobi", "Lyon", "Dakar", "Cairo", "Lima", "Madrid", "Beijing", "Accra", "Hanoi",
          "Kraków", "Bogotá", "Cork", "Osaka", "São Paulo", "Kazan"]  # fmt: skip
SCOPES = ["all", "website;social", "website", "social", "x;youtube;instagram", "website;tiktok"]


def write_export(path: Path, rows: int, seed: int = 1, target_bytes: int | None = None) -> int:
    """An export of `rows` forms (or of about `target_bytes`); returns the rows written."""
    # here, not at the top: `--import-only` sets the cycle collector before storydesk's
    # modules load, as every command does (loaded first, its passes over them were timed)
    from consent.parse import COLUMNS

    rng = random.Random(seed)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        while (written < rows) if target_bytes is None else (out.tell() < target_bytes):
            n = written
            first, last, city = rng.choice(FIRST), rng.choice(LAST), rng.choice(CITIES)
            age = rng.randint(9, 70)
            minor = age < 18
            handle = f"{first}{last}{n}"
            day, month = rng.randint(13, 28), rng.randint(1, 12)  # day first, one reading
            # by name: the parser's column order follows the model's marks, not this list
            cells = {
                "response_id": f"R{n:08d}",
                "submitted_at": f"2026-{month:02d}-{rng.randint(1, 28):02d} "
                f"{rng.randint(0, 23):02d}:14:05",
                "full_name": f"{first} {last}",
                "age": age,
                "date_of_birth": ""
                if rng.random() < 0.7
                else f"{2026 - age}-{month:02d}-{day:02d}",
                "city": city,
                "country": "Kenya",
                "role": rng.choice(["learner", "teacher", "developer"]),
                "email": f"{handle.lower()}@example.org",
                "x_handle": f"@{handle}",
                "youtube_channel": f"UC{n:022d}",
                "instagram_handle": handle.lower(),
                "facebook_profile": f"https://facebook.com/{handle}",
                "tiktok_handle": f"@{handle.lower()}",
                "linkedin_profile": f"https://www.linkedin.com/in/{handle.lower()}",
                "video_urls": f"https://youtu.be/v{n:010d};https://x.com/{handle}/status/{n}",
                "consent_scope": rng.choice(SCOPES),
                "expires_at": f"{day:02d}/{month:02d}/2028" if rng.random() < 0.5 else "",
                "guardian_name": f"Guardian of {first}" if minor else "",
                "guardian_relationship": "parent" if minor else "",
                "guardian_signed": "yes" if minor else "",
                "signature": f"{first} {last}",
                "form_version": "2026-1",
                "video_file": f"testimony-{n}.mp4",
                "revoked": "yes" if rng.random() < 0.01 else "",
            }
            writer.writerow([cells.get(column, "") for column in COLUMNS])  # optional ones blank
            written += 1
    return written


def baseline(path: Path, folder: Path) -> float:
    """csv reading the file, then sqlite3 executemany of its rows, in one transaction."""
    database = folder / "baseline.db"
    database.unlink(missing_ok=True)
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        header = next(reader)
        rows = list(reader)
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    columns = ", ".join(f'"{c}" TEXT' for c in header)
    connection.execute(f"CREATE TABLE forms (id INTEGER PRIMARY KEY, {columns})")
    connection.execute("CREATE UNIQUE INDEX forms_response ON forms (response_id)")
    marks = ", ".join("?" for _ in header)
    with connection:
        connection.executemany(f"INSERT INTO forms ({', '.join(header)}) VALUES ({marks})", rows)
    connection.close()
    return time.perf_counter() - start


def fresh_database(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{folder / name}{suffix}").unlink(missing_ok=True)
    from db import migrate
    from db.session import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def import_only(path: str, url: str) -> None:
    """What `consent import` does before matching, alone: read, check, store. The cycle
    collector is set up (before storydesk's modules load) and ended as storydesk.cli.main
    does for every command: at Python's default,
    its full passes over the process's objects were a third of this figure at 100k rows
    (16.0 s CPU in one process, 11.0 s as the command runs), a cost no `consent import` has."""
    from storydesk import collector

    collector.start()
    from config.loader import load_campaign
    from consent.register import import_export
    from db.session import make_engine, make_session_factory

    sessions = make_session_factory(make_engine(url))
    report = import_export(sessions, load_campaign(SHIPPED), Path(path), NOW, "bench", print)
    print(f"{path}: {report.rows} rows: {report.new} new, {report.rejected_rows} rejected")
    collector.end()  # and ended as a command ends


# The command under a wrapper that writes its own peak RSS (VmHWM) when it exits: the
# kernel's ru_maxrss of a child also counts the parent's pages it was forked with.
WRAPPER = """
import atexit, os, runpy, sys
def peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    with open(os.environ["BENCH_PEAK"], "w") as out:
        out.write(kb)
atexit.register(peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__") if sys.argv[0].endswith(".py") else (
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True))
"""


def storydesk_import(
    path: Path, url: str, folder: Path, whole: bool = True
) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS in MB, summary) of `storydesk consent import`
    run as a person runs it, in a process of its own (or, with whole=False, of the import
    without the matching that follows it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYDESK_")}
    env.update(STORYDESK_CONFIG=str(SHIPPED), STORYDESK_DB=url, USER="bench")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    peak_file = folder / "peak.txt"
    env["BENCH_PEAK"] = str(peak_file)
    command = [sys.executable, "-c", WRAPPER] + (
        ["storydesk.cli", "consent", "import", str(path)]
        if whole
        else [__file__, "--import-only", str(path), url]
    )
    out, err = folder / "out.txt", folder / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own CPU time
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 65):
        raise SystemExit(f"storydesk consent import failed ({code}): {err.read_text()[-2000:]}")
    lines = out.read_text().splitlines()
    summary = next((line for line in lines if " rows: " in line), " ".join(lines))
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, int(peak_file.read_text()) / 1024, summary.split(": ", 1)[-1]


def timed_baseline(path: Path, folder: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    baseline(path, folder)
    return time.perf_counter() - wall, time.process_time() - cpu


def report(label: str, run: tuple[float, float, float, str], floor: tuple[float, float]) -> None:
    wall, cpu, peak, summary = run
    ratio, ratio_cpu = wall / floor[0], cpu / floor[1]
    print(f"  {label}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, peak RSS {peak:4.0f} MB  [{summary}]")
    print(
        f"    ratio to baseline: {ratio:.2f}x wall, {ratio_cpu:.2f}x CPU "
        f"({'ok' if ratio <= 3 else 'MISSED'} <= 3x); "
        f"peak RSS {peak:.0f} MB ({'ok' if peak <= 200 else 'MISSED'} <= 200 MB)"
    )


def main() -> None:
    if sys.argv[1:2] == ["--import-only"]:
        import_only(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument("--large-mb", type=int, default=0, help="then import ~N MB (1024: 1 GB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storydesk-bench-") as name:
        folder = Path(name)
        export = folder / "forms.csv"
        write_export(export, args.rows)
        size = export.stat().st_size / 1e6
        floor, floor_cpu = min(timed_baseline(export, folder) for _ in range(args.repeat))
        runs = {
            whole: [
                storydesk_import(export, fresh_database(folder, f"run{n}.db"), folder, whole)
                for n in range(args.repeat)
            ]
            for whole in (False, True)
        }
        print(f"{args.rows} forms, {size:.1f} MB CSV, best of {args.repeat}")
        print(
            f"  baseline (csv + sqlite3 executemany): {floor:6.2f} s wall, {floor_cpu:6.2f} s CPU"
        )
        report("the import (read, check, store)", min(runs[False]), (floor, floor_cpu))
        report("consent import (+ matching)", min(runs[True]), (floor, floor_cpu))
        if args.large_mb:
            large = folder / "large.csv"
            rows = write_export(large, 0, seed=2, target_bytes=args.large_mb * 1_000_000)
            export.unlink()
            wall, cpu, peak, summary = storydesk_import(
                large, fresh_database(folder, "large.db"), folder, whole=False
            )
            megabytes = large.stat().st_size / 1e6
            print(
                f"{rows} forms, {megabytes:.0f} MB CSV, the import: {wall:.1f} s wall, "
                f"{cpu:.1f} s CPU, "
                f"peak RSS {peak:.0f} MB ({'ok' if peak <= 200 else 'MISSED'} <= 200 MB)"
                f"  [{summary}]"
            )


if __name__ == "__main__":
    main()
