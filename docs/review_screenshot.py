"""Make docs/review.png, the README's picture of `storydesk review --web`: the review page on
the demo's data, shot by headless Chromium.

python docs/review_screenshot.py                 # runs a demo in a temporary folder first
python docs/review_screenshot.py --demo storydesk-demo-...

The card shown is the demo's needs-check testimony with the most copies: the one a reviewer
spends longest on. Nothing is decided: the page is only looked at.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def storydesk(demo: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "storydesk.cli",
        "--config",
        str(demo / "campaign.toml"),
        "--db",
        f"sqlite:///{demo / 'storydesk.db'}",
        *args,
    ]


def pick(demo: Path) -> int:
    listed = subprocess.run(
        storydesk(demo, "queue", "--consent", "needs-check", "--limit", "0", "--json"),
        check=True,
        capture_output=True,
        text=True,
    )
    items = json.loads(listed.stdout)
    if not items:
        sys.exit("docs/review_screenshot.py: the demo has no needs-check testimony to show")
    return int(max(items, key=lambda i: (len(i["copies"]), -i["id"]))["id"])


def shoot(demo: Path, out: Path, width: int = 1400, height: int = 1000) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("docs/review_screenshot.py: Chromium not found (Debian: apt install chromium)")
    tid = pick(demo)
    env = {**os.environ, "USER": "dana", "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        storydesk(demo, "review", "--web"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = select.select([server.stdout], [], [], 60)[0]
        line = server.stdout.readline() if ready else ""
        if "http://127.0.0.1:" not in line:
            sys.exit(f"docs/review_screenshot.py: review --web did not start: {line!r}")
        url = line.split(": ", 1)[1].strip()
        base, token = url.split("?t=", 1)
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    f"--user-data-dir={profile}",
                    f"--window-size={width},{height}",
                    # the demo's thumbnails point at the real platforms: nothing leaves here
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    f"--screenshot={out}",
                    f"{base}t/{tid}?t={token}",
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a demo folder (default: run a demo)")
    parser.add_argument("--out", type=Path, default=HERE / "review.png")
    args = parser.parse_args()
    if args.demo is None:
        work = Path(tempfile.mkdtemp(prefix="storydesk-shot-"))
        subprocess.run(
            [sys.executable, "-m", "storydesk.cli", "demo", "--dir", str(work / "demo")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        args.demo = work / "demo"
    shoot(args.demo.resolve(), args.out.resolve())
    print(args.out)


if __name__ == "__main__":
    main()
