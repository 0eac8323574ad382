"""X harvest beside twarc2: `storydesk harvest --platform x` (search, store, dedupe, rules,
link suggestions, then matching against the consent register) next to twarc2, the tool
researchers pick, fetching the same search into JSONL, on the same sandbox world, in the same
run. Both are whole processes, started the way a person starts them; the requests each made
are counted by the sandbox.

    python bench/x_harvest.py [--posts 10000] [--repeat 3]

Target (issue 20): storydesk at most 1.5x twarc2's wall time, with as many requests.

twarc2 (PyPI `twarc`, a test extra) has the X API's address written into each method
(`https://api.twitter.com/2/tweets/search/recent` in Twarc2.search_recent), with no setting
to change it. The bench routes it the way storydesk routes tweepy to the sandbox: after
Twarc2.connect() makes its requests.Session, the sandbox's address is mounted on that
session for https://api.twitter.com/ (platforms.transport.mount_rewrite, a requests
transport adapter). Nothing in twarc is patched and nothing process-wide changes: twarc
builds and pages its requests as it would against X.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the script's own folder first on sys.path would let a bench/*.py shadow a module
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

SEARCH = "x GET /2/tweets/search/recent"

# The sandbox in a process of its own: its CPU counts for neither tool.
SANDBOX = r"""
import json, sys
from sandbox.server import start_sandbox
server = start_sandbox(port=0, posts=int(sys.argv[1]), seed=int(sys.argv[2]),
                       x_search_limit=10**9)
print(json.dumps({"base_url": server.base_url}), flush=True)
sys.stdin.read()
server.stop()
"""


def twarc_search(base_url: str, query: str, out: str, tweet_fields: str, media_fields: str) -> None:
    """What `twarc2 search QUERY out.jsonl` does: every page of recent search, one JSON line
    each, with the fields storydesk asks for (so both read the same pages). The fields come
    from the command line: importing them from harvester.x here loaded storydesk's campaign
    schema (pydantic) into twarc2's run, about a tenth of its time."""
    from twarc.client2 import Twarc2

    from platforms.transport import mount_rewrite

    twarc = Twarc2(bearer_token="sandbox-bearer")  # noqa: S106 - the sandbox's dummy
    twarc.connect()
    mount_rewrite(twarc.client, "https://api.twitter.com", base_url)
    pages = twarc.search_recent(
        query,
        max_results=100,
        expansions="author_id,attachments.media_keys",
        tweet_fields=tweet_fields,
        media_fields=media_fields,
        user_fields="created_at,verified",
    )
    tweets = 0
    with open(out, "w", encoding="utf-8") as jsonl:
        for page in pages:
            jsonl.write(json.dumps(page) + "\n")
            tweets += len(page.get("data", []))
    print(f"twarc2: {tweets} tweets")


# The least `storydesk harvest` can take before its first request: the modules the command
# loads (the CLI, the pipeline, X's client, the matcher) and the campaign, set up and ended
# as storydesk.cli.main does every command. Clients and modules a harvest loads later are
# left out, so this is a floor, never more than the command does.
STORYDESK_START = """
import os, sys
from storydesk import collector
collector.start()
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
import storydesk.cli, storydesk.commands.harvest, storydesk.workflows
import harvester.pipeline, harvester.x, consent.matching, tweepy
from config.loader import load_campaign
load_campaign(sys.argv[1])
collector.end()
"""
# twarc2's own start, the same way: what its run spends before its first request
TWARC_START = "import json, twarc.client2, platforms.transport"


def start_sandbox(posts: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", SANDBOX, str(posts), str(seed)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())["base_url"]


def search_requests(base_url: str) -> int:
    import requests

    stats = requests.get(f"{base_url}/__sandbox__/stats", timeout=30).json()["requests"]
    return int(stats.get("x", {}).get(SEARCH.split(" ", 1)[1], 0))


def campaign(folder: Path, base_url: str) -> Path:
    text = (REPO / "config/campaigns/sandbox.toml").read_text()
    path = folder / "campaign.toml"
    path.write_text(text.replace("http://127.0.0.1:8765", base_url))
    return path


def storydesk_env(config: Path, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYDESK_")}
    env.update(STORYDESK_CONFIG=str(config), STORYDESK_DB=f"sqlite:///{database}", USER="bench")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def storydesk_command() -> list[str]:
    script = Path(sys.executable).with_name("storydesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "storydesk.cli"]


def run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout + done.stderr


def fresh_database(folder: Path, name: str, config: Path, forms: Path) -> Path:
    """A migrated database holding the sandbox world's consent forms (so the harvest's
    matching step has a register to match against, as in a running campaign)."""
    database = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = storydesk_env(config, database)
    run([*storydesk_command(), "init"], env, folder)
    run([*storydesk_command(), "consent", "import", str(forms)], env, folder)
    return database


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    if sys.argv[1:2] == ["--twarc"]:
        twarc_search(*sys.argv[2:7])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts in the sandbox world")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()

    from config.loader import load_campaign
    from harvester.x import MEDIA_FIELDS, TWEET_FIELDS, build_query

    folder = Path(tempfile.mkdtemp(prefix="bench-x-harvest-"))
    sandbox, base_url = start_sandbox(args.posts, args.seed)
    try:
        import requests

        config = campaign(folder, base_url)
        query = build_query(load_campaign(config).settings)
        forms = folder / "consent.csv"
        forms.write_bytes(requests.get(f"{base_url}/__sandbox__/consent.csv", timeout=60).content)
        twarc = [sys.executable, __file__, "--twarc", base_url, query, str(folder / "x.jsonl"),
                 TWEET_FIELDS, MEDIA_FIELDS]  # fmt: skip
        starts = {
            "storydesk start": [sys.executable, "-c", STORYDESK_START, str(config)],
            "twarc2 start": [sys.executable, "-c", TWARC_START],
        }
        times: dict[str, list[float]] = {"storydesk": [], "twarc2": [], **{k: [] for k in starts}}
        made: dict[str, set[int]] = {"storydesk": set(), "twarc2": set()}
        said: dict[str, str] = {}
        loads = [load()]
        # interleaved rounds, so a burst of load on the shared machine hits both alike
        for n in range(args.repeat):
            database = fresh_database(folder, f"run{n}.db", config, forms)
            env = storydesk_env(config, database)
            for name, command in (
                ("twarc2", twarc),
                ("storydesk", [*storydesk_command(), "harvest", "--platform", "x"]),
            ):
                before = search_requests(base_url)
                elapsed, output = run(command, env, folder)
                times[name].append(elapsed)
                made[name].add(search_requests(base_url) - before)
                said[name] = output.strip().splitlines()[-1]
            for name, command in starts.items():
                times[name].append(run(command, env, folder)[0])
            loads.append(load())
    finally:
        assert sandbox.stdin is not None
        sandbox.stdin.close()
        sandbox.wait(timeout=60)

    best = {name: min(values) for name, values in times.items()}
    ratio = best["storydesk"] / best["twarc2"]
    requests_equal = made["storydesk"] == made["twarc2"] and len(made["twarc2"]) == 1
    print(f"X recent search {query!r} on a {args.posts}-post sandbox world, best of {args.repeat}")
    for name in ("storydesk", "twarc2"):
        shown = "/".join(str(n) for n in sorted(made[name]))
        print(
            f"  {name:<9} {best[name]:6.2f} s wall (median {statistics.median(times[name]):.2f} s)"
            f"  {shown} search requests  [{said[name]}]"
        )
    print(
        f"  ratio storydesk / twarc2: {ratio:.2f}x ({'ok' if ratio <= 1.5 else 'MISSED'} <= 1.5x); "
        f"requests {'equal' if requests_equal else 'NOT equal'}"
    )
    # What no change to storing, rules or matching can remove: storydesk's start, then the
    # requests as twarc2 makes them (its run less its own start), as if storing cost nothing.
    fetching = best["twarc2"] - best["twarc2 start"]
    least = best["storydesk start"] + fetching
    print(
        f"  storydesk's start (its modules and the campaign, no request): "
        f"{best['storydesk start']:.2f} s = {best['storydesk start'] / best['twarc2']:.2f}x "
        f"twarc2's whole run; twarc2's start {best['twarc2 start']:.2f} s, its requests and "
        f"JSONL {fetching:.2f} s"
    )
    print(
        f"  the least a storydesk harvest could take (its start + those requests, storing, "
        f"rules and matching free): {least:.2f} s = {least / best['twarc2']:.2f}x twarc2"
    )
    print(f"  {loads[0]} before, {loads[-1]} after")


if __name__ == "__main__":
    main()
