"""`storydesk demo`, the README's first command, and the README's tour run against it."""

from __future__ import annotations

import re
import shlex
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from platforms import registry
from tests.conftest import skip_clock_waits
from tests.helpers import Outcome, invoke

# The demo runs the sandbox and every cycle: integration, left out of the fast tier.
pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
# every platform of the registry, Bluesky included: the demo harvests and reshares on each
PLATFORMS = tuple(registry.names("harvest"))
TARGETS = tuple(registry.names("publish"))


def _section(out: str, title: str) -> dict[str, int]:
    block = out.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
    found = (re.match(r"\s+(.+?)\s+(\d+)$", line) for line in block.splitlines())
    return {m.group(1): int(m.group(2)) for m in found if m}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Outcome]]:
    """The demo exactly as the README runs it: default world, default seed (its upload polls
    recorded, not waited for: tests/conftest.py skip_clock_waits)."""
    folder = tmp_path_factory.mktemp("demo") / "storydesk-demo"
    with pytest.MonkeyPatch.context() as monkeypatch:
        skip_clock_waits(monkeypatch)
        outcome = invoke("demo", "--dir", str(folder))
    yield folder, outcome


def test_demo_prints_non_zero_counts_on_every_platform_and_target(
    demo: tuple[Path, Outcome],
) -> None:
    folder, outcome = demo
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
    # the consent export holds names, ages and e-mails: owner-only like the database
    assert stat.S_IMODE((folder / "consent.csv").stat().st_mode) == 0o600
    assert (folder / "gallery" / "index.html").is_file()
    assert f"--db sqlite:///{database.resolve()} queue" in out


def _flat(line: str) -> str:
    # tables are tab-separated when not on a terminal; the README aligns them with spaces.
    # The sandbox's posts are dated relative to the day it runs: any date matches any.
    flat = re.sub(r"\s+", " ", line).strip()
    return re.sub(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?", "DATE", flat)


def _tour() -> list[tuple[list[str], list[str]]]:
    """The README tour's `$ storydesk ...` lines, each with the output lines shown under it."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## A tour", 1)[1].split("```text\n$ export", 1)[1].split("```", 1)[0]
    steps: list[tuple[list[str], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ storydesk "):
            steps.append((shlex.split(line[2:])[1:], []))
        elif steps and not line.startswith("$"):
            steps[-1][1].append(line)
    return steps


def test_the_readme_tour_runs_against_the_demo_database(demo: tuple[Path, Outcome]) -> None:
    folder, outcome = demo
    assert outcome.exit_code == 0, outcome.stderr
    env = {
        "STORYDESK_CONFIG": str(folder / "campaign.toml"),
        "STORYDESK_DB": f"sqlite:///{folder / 'storydesk.db'}",
    }
    steps = _tour()
    assert [args[0] for args, _ in steps] == ["queue", "show", "approve", "approve", "review"]
    for args, shown in steps:
        if args[0] == "review":  # interactive: driven in a terminal by tests/review
            continue
        result = invoke(*args, env=env)
        printed = [_flat(p) for p in (result.stdout + result.stderr).splitlines()]
        if shown and shown[0].startswith("storydesk: "):  # a refusal the README shows
            assert result.exit_code == 1
            assert printed == [_flat(s) for s in shown]
            continue
        assert result.exit_code == 0, (args, result.stderr)
        # the README's lines are the real output (long lines shortened with "...")
        for line in shown:
            head = _flat(line.split("...", 1)[0])
            assert any(p.startswith(head) for p in printed), (args, line, printed)


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


@pytest.mark.parametrize("name", ["campaign.toml", "consent.csv"])
def test_demo_never_overwrites_a_campaign_file_or_export_already_in_its_folder(
    tmp_path: Path, name: str
) -> None:
    # `demo --dir` on a folder holding the user's own campaign.toml or consent.csv replaced
    # them with the sandbox's and exited 0
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / name).write_text("the user's own\n")
    outcome = invoke("demo", "--dir", str(folder))
    assert outcome.exit_code == 78
    assert outcome.stderr.strip() == (
        f"storydesk: {folder}: already holds {name}, which the demo would overwrite; nothing "
        "was written: pass a new or empty folder with --dir"
    )
    assert (folder / name).read_text() == "the user's own\n"
    assert [p.name for p in folder.iterdir()] == [name]
