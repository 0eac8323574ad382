"""`storydesk demo`: the README's first command does the whole job with no API keys."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from tests.helpers import invoke

PLATFORMS = ("x", "youtube", "instagram", "facebook")
TARGETS = ("x", "youtube", "instagram", "facebook", "linkedin", "tiktok", "gallery")


def _section(out: str, title: str) -> dict[str, int]:
    block = out.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
    found = (re.match(r"\s+(.+?)\s+(\d+)$", line) for line in block.splitlines())
    return {m.group(1): int(m.group(2)) for m in found if m}


def test_demo_does_the_whole_job_with_non_zero_counts_everywhere(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    outcome = invoke("demo", "--dir", str(folder), "--posts", "80")
    assert outcome.exit_code == 0, outcome.stderr
    out = outcome.stdout

    harvested = _section(out, "Harvested posts")
    assert all(harvested[p] > 0 for p in PLATFORMS), harvested
    reshares = _section(out, "Reshares made")
    assert all(reshares[t] > 0 for t in TARGETS), reshares
    assert _section(out, "Consent state of testimonies")["matched"] > 0
    assert _section(out, "Review queue")["approved"] > 0

    database = folder / "storydesk.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert (folder / "gallery" / "index.html").is_file()
    assert f"--db sqlite:///{database.resolve()} queue" in out

    # the next commands it suggests work against that database, offline
    env = {
        "STORYDESK_CONFIG": str(folder / "campaign.toml"),
        "STORYDESK_DB": f"sqlite:///{database}",
    }
    queue = invoke("queue", "--status", "approved", "--json", env=env)
    assert queue.exit_code == 0, queue.stderr
    assert '"approved"' in queue.stdout


def test_demo_never_reuses_an_earlier_demo_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "storydesk.db").write_text("an earlier demo")
    outcome = invoke("demo", "--dir", str(folder))
    assert outcome.exit_code == 78
    assert outcome.stderr.strip() == (
        f"storydesk: {folder}: already holds a demo database; remove the folder or pass another --dir"
    )
    assert (folder / "storydesk.db").read_text() == "an earlier demo"
