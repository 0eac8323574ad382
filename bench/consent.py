"""Consent matching at scale: 100k posts against 50k consent records, then twice both.

Synthetic posts and forms go straight into a fresh SQLite database (bulk inserts), then the
app's `match_all` runs as `storydesk match` would. The posts mix every kind of evidence
(video URL on the form, stable channel id, handle in its written variants, a typo in the
handle, name and city only, nobody's form), so each path of the matcher is timed. Linear
work means the doubled run takes about twice as long; all-pairs comparisons would take 4x.

    /work/venv/bin/python bench/consent.py [--records 50000]

Targets (issue 5): base run <= 5 s, doubled run <= 2.2x the base run.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from config.clock import FakeClock  # noqa: E402
from config.loader import load_campaign  # noqa: E402
from consent.matching import match_all  # noqa: E402
from db import migrate  # noqa: E402
from db.models import Campaign, ConsentRecord, Post, Testimony  # noqa: E402
from db.session import make_engine, make_session_factory  # noqa: E402

SHIPPED = Path(__file__).resolve().parents[1] / "config/campaigns/sandbox.toml"
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


def generate(
    records: int, posts: int, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    first, last = rng.sample(FIRST, len(FIRST)), rng.sample(LAST, len(LAST))  # common != alike
    firsts = rng.choices(first, [1 / (k + 10) for k in range(len(first))], k=records)
    lasts = rng.choices(last, [1 / (k + 10) for k in range(len(last))], k=records)
    people = []
    forms: list[dict[str, Any]] = []
    for i in range(records):
        name = f"{firsts[i]} {lasts[i]}"
        person = {"name": name, "city": rng.choice(CITIES), "x": f"{name.split()[0]}{i}_x"}
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


def run(records: int, posts: int, folder: Path) -> tuple[float, float, Counter[str]]:
    engine = make_engine(f"sqlite:///{folder / f'bench-{records}.db'}")
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
    loaded = load_campaign(SHIPPED)
    started = time.perf_counter()
    summary = match_all(sessions, loaded, FakeClock(NOW))
    first = time.perf_counter() - started
    started = time.perf_counter()
    match_all(sessions, loaded, FakeClock(NOW))  # nothing changed: reads and compares only
    again = time.perf_counter() - started
    engine.dispose()
    return first, again, Counter(summary.counts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="storydesk-bench-"))
    figures = []
    for scale in (1, 2):
        records, posts = args.records * scale, args.records * 2 * scale
        first, again, counts = run(records, posts, folder)
        figures.append((first, again))
        states = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(
            f"match {posts:>7} posts against {records:>7} forms: {first:6.2f} s "
            f"(re-match, nothing changed: {again:5.2f} s)  [{states}]"
        )
    (base, base_again), (double, double_again) = figures
    print(f"target: base <= 5 s -> {'ok' if base <= 5 else 'MISSED'} ({base:.2f} s)")
    print(
        f"doubled / base: {double / base:.2f}x first match, {double_again / base_again:.2f}x "
        f"re-match (target <= 2.2x) -> {'ok' if double / base <= 2.2 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
