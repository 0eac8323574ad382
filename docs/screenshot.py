"""Make the README's pictures from the demo's data, shot by headless Chromium.

python docs/screenshot.py                      # both, from a demo run in a temporary folder
python docs/screenshot.py gallery --demo storydesk-demo-...
python docs/screenshot.py review

gallery → docs/gallery.png, the website gallery. review → docs/review.png, the page of
`storydesk review --web` on the demo's needs-check testimony with the most copies (the one a
reviewer spends longest on); nothing is decided there, the page is only looked at.
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


def shoot(url: str, out: Path, width: int, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("docs/screenshot.py: Chromium not found (Debian: apt install chromium)")
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
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


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


def gallery(demo: Path, out: Path) -> None:
    shoot((demo / "gallery" / "index.html").as_uri(), out, 1200, 900)


def pick(demo: Path) -> int:
    listed = subprocess.run(
        storydesk(demo, "queue", "--consent", "needs-check", "--limit", "0", "--json"),
        check=True,
        capture_output=True,
        text=True,
    )
    items = json.loads(listed.stdout)
    if not items:
        sys.exit("docs/screenshot.py: the demo has no needs-check testimony to show")
    return int(max(items, key=lambda i: (len(i["copies"]), -i["id"]))["id"])


def review(demo: Path, out: Path) -> None:
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
            sys.exit(f"docs/screenshot.py: review --web did not start: {line!r}")
        base, token = line.split(": ", 1)[1].strip().split("?t=", 1)
        shoot(f"{base}t/{tid}?t={token}", out, 1400, 1000)
    finally:
        server.terminate()
        server.wait(timeout=30)


SUBJECTS = {"gallery": gallery, "review": review}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subject", nargs="*", help=f"{' or '.join(SUBJECTS)} (default: both)")
    parser.add_argument("--demo", type=Path, help="a demo folder (default: run a demo)")
    args = parser.parse_args()
    if unknown := [s for s in args.subject if s not in SUBJECTS]:
        parser.error(f"not a picture it makes: {', '.join(unknown)}")
    if args.demo is None:
        work = Path(tempfile.mkdtemp(prefix="storydesk-shot-"))
        subprocess.run(
            [sys.executable, "-m", "storydesk.cli", "demo", "--dir", str(work / "demo")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        args.demo = work / "demo"
    for subject in args.subject or list(SUBJECTS):
        out = HERE / f"{subject}.png"
        SUBJECTS[subject](args.demo.resolve(), out)
        print(out)


if __name__ == "__main__":
    main()
