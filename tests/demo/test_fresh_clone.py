"""A newcomer's path, for real: a fresh clone, the README's first line exactly as written, then
every command the demo prints, typed as printed, in a shell where `storydesk` is not on PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pexpect
import pytest
import requests

REPO = Path(__file__).resolve().parents[2]


def _first_line() -> str:
    readme = (REPO / "README.md").read_text()
    return readme.split("```sh\n", 1)[1].split("\n", 1)[0]


def _shell_env() -> dict[str, str]:
    """The user's environment without storydesk's variables, and without any folder on PATH
    that holds a `storydesk` (this test's own venv): the newcomer has none yet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYDESK_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    folders = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(f for f in folders if not (Path(f) / "storydesk").exists())
    return env


@pytest.mark.slow
def test_a_fresh_clone_the_readme_first_line_then_the_demo_s_next_commands_as_printed(
    tmp_path: Path,
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "storydesk"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    env = _shell_env()

    def shell(line: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", line],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    assert shell("command -v storydesk").returncode != 0, "storydesk must not be on PATH here"
    demo = shell(_first_line(), timeout=1200)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    printed = demo.stdout.split("Next, try these against the demo's database", 1)[1]
    lines = [
        line.strip()
        for line in printed.split("\n")[1:]
        if line.startswith("  ") and not line.strip().startswith("open the gallery")
    ]
    assert len(lines) >= 5, printed
    assert all(".venv/bin/storydesk" in line for line in lines), lines
    assert not any(re.search(r"\bshow ID\b", line) for line in lines), "a placeholder id"

    for line in lines:
        if line.endswith(" review"):
            child = pexpect.spawn(
                "bash", ["-c", line], cwd=str(clone), env=env, encoding="utf-8", timeout=60
            )
            child.expect(r"\[q\]uit")
            child.send("q")
            child.expect(pexpect.EOF)
            child.close()
            assert child.exitstatus == 0, line
            continue
        outcome = shell(line)
        allowed = (0, 1) if line.endswith(" status") else (0,)  # status: 1 = an alarm stands
        assert outcome.returncode in allowed, f"{line}\n{outcome.stdout[-2000:]}{outcome.stderr}"
        assert "Traceback" not in outcome.stderr

    # The closing hint: the sandbox at the campaign file's port, then harvest works.
    sandbox = re.search(r"`([^`]* sandbox --port (\d+))`", printed)
    assert sandbox is not None, printed
    campaign = next(clone.glob("storydesk-demo-*/campaign.toml")).read_text()
    port = sandbox.group(2)
    assert f"port {port}" in campaign.splitlines()[0]  # the file's comment names that port
    assert f"http://127.0.0.1:{port}" in campaign
    server = subprocess.Popen(
        ["bash", "-c", f"exec {sandbox.group(1)}"],
        cwd=clone,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/__sandbox__/stats", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the printed sandbox command never served"
                time.sleep(0.3)
        queue_line = next(line for line in lines if line.endswith(" queue"))
        harvest = shell(queue_line.removesuffix(" queue") + " harvest")
        assert harvest.returncode == 0, harvest.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
