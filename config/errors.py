"""Exit codes and error classes: the contract with cron and with the person at the terminal.

Errors are sorted by who must act: ``TryLater`` (a lock, a rate limit, a spent quota: cron
will simply run again), ``ConfigError``/``CredentialRejected`` (a person must fix the campaign
file or the environment), ``BadInput`` (a person must fix an input file), ``WorkFailed``
(something broke; the message says what and where).
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    BAD_INPUT = 65  # EX_DATAERR
    TRY_LATER = 75  # EX_TEMPFAIL
    BAD_CONFIG = 78  # EX_CONFIG


class StorydeskError(Exception):
    """A failure a person can act on; printed as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        return [self.message]


class WorkFailed(StorydeskError):
    exit_code = ExitCode.FAILED


class BadInput(StorydeskError):
    """An input file (consent export, ...) is malformed; ``problems`` names file and row."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def lines(self) -> list[str]:
        return self.problems or [self.message]


class TryLater(StorydeskError):
    """Nothing is wrong but the work cannot happen now (lock held, rate limit, quota)."""

    exit_code = ExitCode.TRY_LATER

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class ConfigError(StorydeskError):
    """The campaign file or the environment is wrong; one problem per line."""

    exit_code = ExitCode.BAD_CONFIG

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def lines(self) -> list[str]:
        return self.problems or [self.message]


class CredentialRejected(ConfigError):
    """The platform refused our credential: a person must renew or fix it."""
