"""The review page on a big database: each decision's round-trip, as the browser makes it
(POST the decision, follow the 303 to the next card and read it), on 1M posts. Target:
under 100 ms each (p95). Same-run baseline: GET of the page's stylesheet through the same
server, token check and all (what any request costs before the database is asked).

    python bench/review_web.py [--posts 1000000] [--decisions 100] [--db FILE]

The database is built as bench/queue_show.py builds it (kept when --db names a file).
The server is `storydesk review --web` in its own process, as a reviewer runs it.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from queue_show import build  # noqa: E402 - the same database as the queue bench

TARGET_MS = 100.0
CAMPAIGN = REPO / "config" / "campaigns" / "learning-never-stops.toml"
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')
REFUSED = re.compile(r'class="(?:refused|changed)"[^>]*>([^<]*)')
CARD = re.compile(r'<h1 id="card" data-id="(\d+)"')


def with_evidence(path: Path) -> None:
    """Every copy of a testimony with a form gets its own evidence naming that form, as the
    matcher writes it: approval sends only copies with evidence of their own."""
    import sqlite3

    con = sqlite3.connect(path)
    with con:
        con.execute(
            "INSERT OR IGNORE INTO consent_matches (post_id, consent_id, state, evidence, score,"
            " matched_at) SELECT p.id, t.consent_id, t.consent_state,"
            ' \'{"by": "handle", "value": "bench"}\', 100.0, t.updated_at'
            " FROM posts p JOIN testimonies t ON t.id = p.testimony_id"
            " WHERE t.consent_id IS NOT NULL"
        )
    con.close()


def start(db: Path, folder: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYDESK_")}
    env.update(
        STORYDESK_DB=f"sqlite:///{db.resolve()}",
        STORYDESK_CONFIG=str(CAMPAIGN),
        USER="bench",
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "storydesk.cli", "review", "--web"],
        env=env,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    ready = select.select([process.stdout], [], [], 120)[0]
    line = process.stdout.readline() if ready else ""
    if "http://127.0.0.1:" not in line:
        process.kill()
        raise SystemExit(f"review --web did not start: {line!r}")
    return process, line.split(": ", 1)[1].strip()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=100)
    parser.add_argument("--db", type=Path, help="keep the database here (reused if present)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="storydesk-bench-"))
    path = args.db or folder / "review.db"
    if not path.exists():
        build(path, args.posts)
        with_evidence(path)
    else:
        print(f"reusing {path}")

    process, url = start(path, folder)
    try:
        web = requests.Session()
        page = web.get(url, timeout=30)  # the token, exchanged for the session cookie
        page.raise_for_status()
        base = url.split("?", 1)[0].rstrip("/")
        origin = {"Origin": base}
        for _ in range(3):  # warm-up: templates compiled, pages of the database cached
            web.get(f"{base}/static/review.css", timeout=30).raise_for_status()
        baseline: list[float] = []
        trips: list[float] = []
        for n in range(args.decisions):
            fields = dict(HIDDEN.findall(page.text))
            found = CARD.search(page.text)
            if found is None:
                raise SystemExit("the queue ran out: build a bigger database")
            tid = found.group(1)
            # approve every other card; a refusal (a copy over 60 s) is an answer too, and
            # the card it leaves on screen is then rejected or held
            action = "approve" if n % 2 == 0 else ("reject", "hold")[n % 4 == 3]
            form = {
                "csrf": fields["csrf"],
                "version": fields["version"],
                "action": action,
                "text": "bench" if action != "approve" else "",
            }
            started = time.perf_counter()
            page = web.post(f"{base}/t/{tid}/decide", data=form, headers=origin, timeout=30)
            trips.append(time.perf_counter() - started)
            refused = page.status_code == 422 and action == "approve"
            taken = page.status_code == 200 and page.history and page.history[0].status_code == 303
            if not (taken or refused):
                said = REFUSED.findall(page.text)
                raise SystemExit(f"decision {n} on {tid}: {page.status_code} {said}")
            started = time.perf_counter()
            web.get(f"{base}/static/review.css", timeout=30).raise_for_status()
            baseline.append(time.perf_counter() - started)
    finally:
        process.terminate()
        process.wait(timeout=30)

    size = path.stat().st_size >> 20
    median_ms = statistics.median(trips) * 1000
    p95_ms = percentile(trips, 0.95) * 1000
    base_ms = statistics.median(baseline) * 1000
    print(f"decision round-trips on {args.posts} posts ({size} MiB db), {len(trips)} decisions:")
    print("  POST the decision, follow the 303, read the next card")
    print(f"  median {median_ms:7.1f} ms   p95 {p95_ms:7.1f} ms   max {max(trips) * 1000:7.1f} ms")
    print(f"  baseline: GET the stylesheet (same server, same checks)  {base_ms:7.1f} ms")
    print(f"  ratio p95 / target {p95_ms / TARGET_MS:5.2f}  (target {TARGET_MS:.0f} ms: <= 1.0)")
    print(f"  ratio median / baseline {median_ms / base_ms:6.1f}")


if __name__ == "__main__":
    main()
