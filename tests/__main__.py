"""`python -m tests`: the whole check, as CI runs it: lint, format, types, then the suite."""

from __future__ import annotations

import os
import subprocess
import sys

STEPS = [
    ("lint", [sys.executable, "-m", "ruff", "check", "."]),
    ("format", [sys.executable, "-m", "ruff", "format", "--check", "."]),
    ("types", [sys.executable, "-m", "mypy"]),
    (
        "tests",
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            os.environ.get("STORYDESK_TEST_WORKERS", "2"),
            *sys.argv[1:],
        ],
    ),
]


def main() -> int:
    for name, cmd in STEPS:
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        code = subprocess.call(cmd)
        if code != 0:
            print(f"== {name} failed (exit {code})", flush=True)
            return code
    print("== all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
