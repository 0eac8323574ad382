"""deploy/: the crontab line and the systemd units are valid as their readers see them."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ["storydesk-run-once.service", "storydesk-run-once.timer", "storydesk-daemon.service"]
FIELDS = [  # (name, low, high, names)
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day of month", 1, 31, []),
    ("month", 1, 12, "jan feb mar apr may jun jul aug sep oct nov dec".split()),
    ("day of week", 0, 7, "sun mon tue wed thu fri sat".split()),
]


def cron_field(text: str, low: int, high: int, names: list[str]) -> set[int]:
    """The values a cron field matches (vixie cron syntax); ValueError if invalid."""
    values: set[int] = set()
    for part in text.split(","):
        spec, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(part)

        def number(word: str) -> int:
            if word.lower() in names:
                return names.index(word.lower()) + (1 if low == 1 else 0)
            value = int(word)
            if not low <= value <= high:
                raise ValueError(f"{word} not in {low}-{high}")
            return value

        if spec == "*":
            first, last = low, high
        elif "-" in spec:
            first, last = (number(w) for w in spec.split("-", 1))
        else:
            first = number(spec)
            last = high if step_text else first
        if first > last:
            raise ValueError(part)
        values.update(range(first, last + 1, step))
    return values


def test_the_cron_field_parser_refuses_what_cron_refuses() -> None:
    assert cron_field("*/5", 0, 59, []) == set(range(0, 60, 5))
    assert cron_field("mon-fri", 0, 7, FIELDS[4][3]) == {1, 2, 3, 4, 5}
    for bad in ("60", "*/0", "5-1", "x"):
        with pytest.raises(ValueError):
            cron_field(bad, 0, 59, [])


def test_crontab_runs_run_once_every_five_minutes() -> None:
    jobs, env = [], {}
    for line in (DEPLOY / "crontab").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assignment = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if assignment:
            env[assignment.group(1)] = assignment.group(2)
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not five time fields and a command: {line}"
        matched = [cron_field(f, lo, hi, names) for f, (_, lo, hi, names) in zip(fields, FIELDS)]
        jobs.append((matched, fields[5]))
    assert len(jobs) == 1
    (minutes, hours, *_), command = jobs[0]
    assert minutes == set(range(0, 60, 5)) and hours == set(range(24))
    assert "storydesk run-once" in command and "%" not in command  # % is a newline to cron
    assert env["STORYDESK_CONFIG"].endswith(".toml") and env["STORYDESK_DB"].startswith("sqlite:")
    assert not any("TOKEN" in k or "SECRET" in k for k in env)  # credentials live elsewhere


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


def test_units_say_what_runs_and_how_it_stops() -> None:
    once, timer, daemon = (unit(n) for n in UNITS)
    assert once["Service"]["Type"] == "oneshot"
    assert once["Service"]["ExecStart"].endswith("storydesk run-once --log-json")
    assert "75" in once["Service"]["SuccessExitStatus"].split()
    assert timer["Timer"]["Unit"] == "storydesk-run-once.service"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert daemon["Service"]["ExecStart"].endswith("storydesk daemon --log-json")
    assert daemon["Service"]["KillSignal"] == "SIGTERM"
    assert "78" in daemon["Service"]["RestartPreventExitStatus"].split()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not here")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    storydesk = Path(sys.executable).parent / "storydesk"
    for name in UNITS:  # verify checks that ExecStart exists: point it at this venv's
        text = (
            (DEPLOY / name).read_text().replace("/opt/storydesk/venv/bin/storydesk", str(storydesk))
        )
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr and "ignoring" not in result.stderr, result.stderr
