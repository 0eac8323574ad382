"""Load a campaign file; every problem becomes one line naming the file, line and field."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config import redact
from config.campaign_file import MAX_BYTES, SHIPPED, resolve_campaign_path
from config.errors import ConfigError
from config.fields import PATTERN_WORDS
from config.schema import REMOVED, Campaign, LoadedCampaign

__all__ = ["MAX_BYTES", "SHIPPED", "load_campaign", "resolve_campaign_path"]


def load_campaign(path: str | os.PathLike[str]) -> LoadedCampaign:
    file = Path(path)
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such campaign file") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{file}: larger than {MAX_BYTES // 1024} KiB: not a campaign file")
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {_toml_message(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{file}: TOML nested too deeply") from None
    try:
        settings = Campaign.model_validate(data)
    except ValidationError as exc:
        problems = [_problem_line(file, text, err) for err in exc.errors()]
        raise ConfigError(problems[0], problems) from None
    except RecursionError:
        raise ConfigError(f"{file}: a value nested too deeply") from None
    # from now on the values of the credentials the campaign names never leave the process
    redact.remember_variables(variable for _field, variable in settings.credential_variables())
    digest = hashlib.sha256(raw).hexdigest()
    return LoadedCampaign(settings=settings, path=str(file), config_hash=digest)


def _toml_message(exc: tomllib.TOMLDecodeError) -> str:
    # tomllib says "Invalid value (at line 3, column 9)"; lead with the line like the rest.
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    message = re.sub(r"\s*\(at line.*\)$", "", str(exc))
    if match:
        return f"line {match.group(1)}: TOML syntax: {message} (column {match.group(2)})"
    return f"TOML syntax: {message}"


def _problem_line(file: Path, text: str, err: Any) -> str:
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc)
    kind = err["type"]
    if kind == "extra_forbidden" and tuple(loc) in REMOVED:
        message = REMOVED[tuple(loc)]
    elif kind == "extra_forbidden":
        message = "unknown key (misspelled?)"
    elif kind == "missing":
        message = "required but missing"
    elif kind == "string_pattern_mismatch" and (
        words := PATTERN_WORDS.get(err.get("ctx", {}).get("pattern", ""))
    ):
        message = f"must be {words}"
    else:
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    line = _find_line(text, loc)
    where = f"{file}: line {line}" if line else f"{file}"
    return f"{where}: {field}: {message}"


def _find_line(text: str, loc: list[str]) -> int | None:
    """Best-effort line of a key path (TOML parsers do not keep positions).

    Looks for `key =` inside the `[table]` that holds it, then for the table header itself,
    so a missing key points at its table.
    """
    lines = text.splitlines()
    for depth in range(len(loc), 0, -1):
        table, key = loc[: depth - 1], loc[depth - 1]
        current: list[str] = []
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
            if header:
                current = [part.strip().strip('"') for part in header.group(1).split(".")]
                if current == [*table, key]:
                    return number
                continue
            assignment = re.match(r'^"?([A-Za-z0-9_-]+)"?\s*=', stripped)
            if assignment and assignment.group(1) == key and current == table:
                return number
            dotted = re.match(r"^([A-Za-z0-9_.-]+)\s*=", stripped)
            if dotted and current + dotted.group(1).split(".") == [*table, key]:
                return number
    return None
