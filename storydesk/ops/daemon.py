"""The scheduled loop: every job at its interval (with jitter), until SIGTERM or SIGINT.

`schedule` keeps the intervals; the database decides whether a job is really due (another
host may just have run it) and leases keep a job from overlapping with itself anywhere.
Jobs run one at a time in this thread, so a job never overlaps with itself here either.

Stopping: the first SIGTERM/SIGINT lets the current job finish for up to `grace` seconds,
then abandons it by raising `Stopping` inside it (SIGALRM). Every change is made in
transactions, so an abandoned call leaves nothing half-written: a harvest resumes from its
cursor, an in-flight publication is reconciled by asking the platform. A second signal
abandons at once. Either way the loop ends and the daemon exits 0.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

import schedule

from config.clock import Clock, SystemClock
from storydesk.ops.jobs import Job, Runner
from storydesk.ops.logs import EventLog

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopping(BaseException):  # noqa: N818 - not an error: the way out of a running job
    """Raised inside a running job to abandon it; BaseException so `except Exception`
    in the parts does not swallow it."""


class Daemon:
    def __init__(
        self,
        runner: Runner,
        jobs: list[Job],
        log: EventLog,
        jitter_seconds: float = 0,
        grace_seconds: float = 3.0,
        clock: Clock | None = None,
    ) -> None:
        self.runner, self.jobs, self.log = runner, jobs, log
        self.jitter = jitter_seconds
        self.grace = grace_seconds
        self.clock = clock or SystemClock()
        self.scheduler = schedule.Scheduler()
        self.stopping = False
        self.busy: Job | None = None
        self.cycles = 0
        self.stop_signal: str | None = None  # what the handlers saw, logged by the loop
        self.stop_job: str | None = None
        self.stop_at: float | None = None
        self.abandoned: str | None = None

    # scheduling -------------------------------------------------------------------------
    def _interval(self, job: Job) -> tuple[int, int]:
        """Whole seconds: every..every+jitter (schedule draws each wait at random in that
        range, so hosts and campaigns spread out); jitter at most half the interval."""
        seconds = max(int(job.every.total_seconds()), 1)
        jitter = int(min(self.jitter, seconds / 2))
        return seconds, seconds + jitter

    def build(self) -> None:
        self.scheduler.clear()
        for job in self.jobs:
            low, high = self._interval(job)
            every = self.scheduler.every(low)
            if high > low:
                every = every.to(high)
            every.seconds.do(self.run_job, job).tag(job.name)

    def run_job(self, job: Job) -> None:
        if self.stopping:
            return
        self.busy = job
        try:
            if self.runner.due([job]):
                self.runner.run(job)
        finally:
            self.busy = None

    # signals ----------------------------------------------------------------------------
    # Handlers only set flags and raise: writing a log line from a handler could re-enter
    # a write the main thread was in the middle of. The loop logs what they recorded.
    def _on_stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stopping:
            self.abandoned = self._busy_name()
            raise Stopping(name)
        self.stopping = True
        self.stop_signal = name
        self.stop_job = self._busy_name()
        self.stop_at = time.monotonic()
        if self.busy is not None:
            signal.setitimer(signal.ITIMER_REAL, self.grace)

    def _on_alarm(self, _signum: int, _frame: FrameType | None) -> None:
        if self.busy is not None:
            self.abandoned = self.busy.name
            raise Stopping("grace period over")

    def _busy_name(self) -> str | None:
        return self.busy.name if self.busy is not None else None

    def install_signals(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, self._on_stop_signal)
        previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
        return previous

    # the loop ---------------------------------------------------------------------------
    def wait(self, seconds: float) -> None:
        """Sleep in short slices so a stop is noticed within a fraction of a second. The
        slices are counted, not timed against the clock's date (a clock set back would
        stretch the wait), and slept on the injected clock: tests run the daemon's minutes
        on a fake one."""
        left = max(seconds, 0)
        while not self.stopping and left > 0:
            step = min(left, 0.2)
            self.clock.sleep(step)
            left -= step

    def run(self, max_cycles: int | None = None) -> int:
        previous = self.install_signals()
        self.build()
        self.log.info(
            "daemon.start",
            jobs=",".join(f"{j.name}/{int(j.every.total_seconds())}s" for j in self.jobs),
            jitter=self.jitter,
            holder=self.runner.holder,
        )
        try:
            for job in self.jobs:  # at start, everything that is due, without waiting
                self.run_job(job)
            while not self.stopping and (max_cycles is None or self.cycles < max_cycles):
                self.scheduler.run_pending()
                self.cycles += 1
                idle = self.scheduler.idle_seconds
                self.wait(min(idle if idle is not None else 1.0, 1.0))
        except Stopping:
            pass  # the job was abandoned; its transactions kept the data whole
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if self.stop_signal is not None:
            self.log.info("daemon.stopping", signal=self.stop_signal, job=self.stop_job)
        if self.abandoned is not None:
            self.log.warning("daemon.abandon", job=self.abandoned, after_seconds=self.grace)
        waited = time.monotonic() - self.stop_at if self.stop_at is not None else None
        self.log.info("daemon.stopped", seconds_after_signal=waited)
        return 0
