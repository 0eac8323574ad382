"""One line per event on stderr: `key=value` words for people, JSON lines for machines.

Nothing secret reaches a line: values are never taken from the environment here, and as a
second guard every credential variable the campaign names is masked wherever it appears.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from config.clock import Clock, SystemClock
from config.redact import redact
from config.schema import Campaign

MASK = "***"


def credential_values(settings: Campaign | None) -> list[str]:
    """The values of every environment variable the campaign names for a credential."""
    if settings is None:
        return []
    names: set[str] = set()
    for section in (settings.platforms, settings.publish):
        for field in type(section).model_fields:
            value = getattr(section, field)
            for name in type(value).model_fields if hasattr(type(value), "model_fields") else ():
                if name.endswith("_env"):
                    names.add(getattr(value, name))
    values = [os.environ.get(name, "").strip() for name in sorted(names)]
    # Short values would mask ordinary words; real credentials are long.
    return [v for v in values if len(v) >= 8]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, float):
        return round(value, 3)
    return value


def _word(value: Any) -> str:
    text = str(_plain(value))
    if text == "" or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


class EventLog:
    """Writes `at=... level=info event=harvest.done platform=x new=3` (or the JSON twin)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        as_json: bool = False,
        clock: Clock | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        self.stream = stream
        self.as_json = as_json
        self.clock = clock or SystemClock()
        self.secrets = [s for s in secrets if s]

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return redact(text)

    def event(self, event: str, level: str = "info", **fields: Any) -> None:
        record: dict[str, Any] = {"at": self.clock.now(), "level": level, "event": event}
        record.update({k: v for k, v in fields.items() if v is not None})
        if self.as_json:
            line = json.dumps({k: _plain(v) for k, v in record.items()}, ensure_ascii=False)
        else:
            line = " ".join(f"{k}={_word(v)}" for k, v in record.items())
        stream = self.stream or sys.stderr
        stream.write(self._mask(line) + "\n")
        stream.flush()

    def info(self, event: str, **fields: Any) -> None:
        self.event(event, "info", **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self.event(event, "warning", **fields)

    def error(self, event: str, **fields: Any) -> None:
        self.event(event, "error", **fields)


class _Bridge(logging.Handler):
    """Libraries' own warnings (tweepy, googleapiclient, ...) as events of the same shape."""

    def __init__(self, log: EventLog) -> None:
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.log.event(
                "library", record.levelname.lower(), logger=record.name, message=record.getMessage()
            )
        except Exception:  # noqa: BLE001 - logging must never break the work
            self.handleError(record)


def bridge_library_logs(log: EventLog) -> logging.Handler:
    handler = _Bridge(log)
    logging.getLogger().addHandler(handler)
    return handler
