"""`python -m tests`: the whole check, as CI runs it: lint, format, types, then the suite.

`python -m tests --fast`: the unit tier, for the edit-test loop (under a minute on 2 cores):
lint, format, types, then the tests that are neither marked slow (the benchmark scripts, the
daemon on the wall clock, kill -9 and fresh-clone runs, real processes racing for a lock, a
pseudo-terminal's typed-ahead keys) nor integration (whatever runs against the sandbox twin,
and the demo) nor on PostgreSQL (every database test also runs on SQLite), with the properties that run
the database or the CLI per example searching a sixth as far (tests/tiers.py). Anything after
the flag goes to pytest as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.tiers import TIER_VARIABLE

FAST = ["-m", "not slow and not integration and not postgres", "-k", "not postgresql"]


def steps(args: list[str]) -> list[tuple[str, list[str]]]:
    fast = "--fast" in args
    rest = [a for a in args if a != "--fast"]
    return [
        ("lint", [sys.executable, "-m", "ruff", "check", "."]),
        ("format", [sys.executable, "-m", "ruff", "format", "--check", "."]),
        ("types", [sys.executable, "-m", "mypy"]),
        (
            "unit tests" if fast else "tests",
            [
                sys.executable,
                "-m",
                "pytest",
                "-n",
                os.environ.get("STORYDESK_TEST_WORKERS", "2"),
                *(FAST if fast else []),
                *rest,
            ],
        ),
    ]


def main() -> int:
    # the pytest run (and its xdist workers) inherit the tier: see tests/tiers.py
    os.environ[TIER_VARIABLE] = "fast" if "--fast" in sys.argv[1:] else "full"
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        # Without bytecode every process compiles storydesk and rewrites the tests' asserts
        # again (2-3 s of CPU for each xdist worker and each CLI a test starts): keep the
        # bytecode, but in the environment's folder, so the work tree stays as clean as the
        # setting wanted.
        os.environ.setdefault("PYTHONPYCACHEPREFIX", os.path.join(sys.prefix, "pycache"))
    for name, cmd in steps(sys.argv[1:]):
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        code = subprocess.call(cmd)
        if code != 0:
            print(f"== {name} failed (exit {code})", flush=True)
            return code
    print("== all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
