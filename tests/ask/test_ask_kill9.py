"""kill -9 while `ask` runs, then a rerun: each request is sent exactly once. Every X request
answers slowly, so kills land before the reply is recorded sending, while the call is on
the wire (X makes the reply, storydesk never hears), and after."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models import ConsentRequest
from db.session import make_engine
from tests.ask.support import harvested, unsigned_on_x
from tests.sandboxed import make_setup

TRIALS = 6
LATENCY = 0.3  # seconds per X request


def reply_posts(state: Any, tweet: str) -> int:
    """POST /2/tweets calls that asked to reply under this tweet (the sandbox's own log)."""
    with state.lock:
        return sum(
            1
            for r in state.replies["x"]
            if r["conversation_id"] == tweet and r["username"] == "UNESCO"
        )


def sending_recorded(db_url: str, tid: int, pid: int, deadline: float) -> None:
    engine = make_engine(db_url)
    query = select(ConsentRequest.id).where(ConsentRequest.testimony_id == tid)
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.scalar(query) is not None:
                    return
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.01)
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.world(posts=60)  # enough unsigned testimonies on X for its trials
def test_kill_9_during_ask_then_rerun_sends_exactly_one(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, consent=False)
    harvested(setup)
    chosen = unsigned_on_x(setup, TRIALS)
    seed = int(os.environ.get("ASK_KILL_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    for n, (tid, tweet) in enumerate(chosen):
        setup.control("faults", {"platform": "x", "kind": "slow", "ratio": 1.0, "delay": LATENCY})
        process = subprocess.Popen(
            setup.command("ask", str(tid)),
            env=setup.subprocess_env(),
            cwd=setup.path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            sending_recorded(setup.db_url, tid, process.pid, time.monotonic() + 30)
            # 0: before the call leaves; else on the wire (users/me went first) or after
            time.sleep([0.0, LATENCY * 0.5, LATENCY * 1.5][n % 3] + rng.uniform(0, 0.05))
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait()
        with sandbox.state.lock:
            sandbox.state.faults.clear()
        time.sleep(LATENCY + 0.2)  # a call the sandbox was still sleeping on lands first
        rerun = setup.cli("ask", str(tid))
        context = f"seed {seed}, trial {n}: {rerun.stdout}{rerun.stderr}"
        assert rerun.exit_code == 0, context
        assert reply_posts(sandbox.state, tweet) == 1, context
        assert setup.cli("ask", str(tid)).exit_code == 0
        assert reply_posts(sandbox.state, tweet) == 1, context
    engine = make_engine(setup.db_url)
    with engine.connect() as conn:
        states = conn.execute(select(ConsentRequest.state, ConsentRequest.sent)).all()
    engine.dispose()
    assert sorted(states) == [("asked", 1)] * TRIALS
