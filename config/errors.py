"""Exit codes and error classes: the contract with cron and with the person at the terminal.

Errors are sorted by who must act:

- ``TryLater``: nobody; the work cannot happen now (a lock, a rate limit, a spent quota) and
  cron will simply run again. ``Transient`` is its short kind (a server error, a timeout, a
  garbled answer): worth another try after a pause, which ``config.retry.retry`` gives it.
- ``NeedsPerson``: a person must fix something. ``ConfigError``/``CredentialRejected``: the
  campaign file or the environment; ``Refused``: the platform said no for good;
  ``WorkFailed``: something broke and the message says what and where.
- ``BadInput``: a person must fix an input file (the message names file, row and field).

``exit_code`` is the one reduction from the outcomes of several pieces of work to the
process's exit code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    BAD_INPUT = 65  # EX_DATAERR
    TRY_LATER = 75  # EX_TEMPFAIL
    BAD_CONFIG = 78  # EX_CONFIG
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class Outcome(StrEnum):
    """How one piece of work (a platform's harvest, a job, a target) ended."""

    OK = "ok"
    FAILED = "failed"
    TRY_LATER = "try-later"
    BAD_CONFIG = "bad-config"  # failed, and a person must fix the campaign or environment


def exit_code(outcomes: Iterable[str]) -> ExitCode:
    """0 all done (or nothing to do), 78 something needs its configuration fixed, 1 something
    failed, 75 only "try later"."""
    seen = {Outcome(o) for o in outcomes}
    if Outcome.BAD_CONFIG in seen:
        return ExitCode.BAD_CONFIG
    if Outcome.FAILED in seen:
        return ExitCode.FAILED
    if Outcome.TRY_LATER in seen:
        return ExitCode.TRY_LATER
    return ExitCode.OK


class StorydeskError(Exception):
    """A failure a person can act on; printed as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.FAILED
    outcome: Outcome = Outcome.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        return [self.message]


class TryLater(StorydeskError):
    """Nothing is wrong but the work cannot happen now (lock held, rate limit, quota)."""

    exit_code = ExitCode.TRY_LATER
    outcome = Outcome.TRY_LATER

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at

    @classmethod
    def until(cls, message: str, retry_at: datetime | None) -> TryLater:
        """A message that says when to try again, as the person at the terminal needs."""
        when = f"; try again after {retry_at:%Y-%m-%d %H:%M} UTC" if retry_at else ""
        return cls(message + when, retry_at)


class Transient(TryLater):
    """A server error, timeout or garbled answer: worth another try after a short pause."""


class NeedsPerson(StorydeskError):
    """A person must look: retrying unchanged will not help."""


class WorkFailed(NeedsPerson):
    exit_code = ExitCode.FAILED


class Refused(WorkFailed):
    """The platform said no for good (a 4xx that is not about credentials)."""


class Gone(Refused):
    """What we asked about no longer exists on the platform. For a takedown that is the
    goal reached (deleted by hand, by the participant, by the platform), not a failure."""


class ConfigError(NeedsPerson):
    """The campaign file or the environment is wrong; one problem per line."""

    exit_code = ExitCode.BAD_CONFIG

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def lines(self) -> list[str]:
        return self.problems or [self.message]


class CredentialRejected(ConfigError):
    """The platform refused our credential: a person must renew or fix it."""


class BadInput(StorydeskError):
    """An input file (consent export, ...) is malformed; ``problems`` names file and row."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def lines(self) -> list[str]:
        return self.problems or [self.message]
