"""Make docs/gallery.png, the README's picture: a demo gallery shot by headless Chromium.

python docs/screenshot.py            # runs a demo in a temporary folder first
python docs/screenshot.py --gallery storydesk-demo-.../gallery
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def shoot(index: Path, out: Path, width: int = 1200, height: int = 900) -> None:
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
                f"--screenshot={out}",
                index.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gallery", type=Path, help="a gallery folder (default: run a demo)")
    parser.add_argument("--out", type=Path, default=HERE / "gallery.png")
    args = parser.parse_args()
    if args.gallery is None:
        work = Path(tempfile.mkdtemp(prefix="storydesk-shot-"))
        subprocess.run(
            [sys.executable, "-m", "storydesk.cli", "demo", "--dir", str(work / "demo")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        args.gallery = work / "demo" / "gallery"
    shoot(args.gallery / "index.html", args.out)
    print(args.out)


if __name__ == "__main__":
    main()
