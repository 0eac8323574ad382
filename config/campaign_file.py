"""Where the campaign file is, and the campaign's id alone without the schema's validator:
what a command that only lists testimonies needs to keep to its campaign. `queue` is waited
on at every key, and pydantic would cost it more than its query (tests/cli/
test_queue_imports.py); the full load is config/loader.py's."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from config.errors import ConfigError

SHIPPED = Path(__file__).parent / "campaigns"
# A campaign file is a page or two; anything this large is the wrong file.
MAX_BYTES = 1 << 20
CAMPAIGN_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"  # [campaign] id, as the schema checks it


def resolve_campaign_path(explicit: str | None) -> str:
    """The campaign file from --config / STORYDESK_CONFIG, or a clear error."""
    path = explicit or os.environ.get("STORYDESK_CONFIG")
    if not path:
        raise ConfigError(
            f"no campaign file: pass --config FILE or set STORYDESK_CONFIG (examples in {SHIPPED})"
        )
    return path


def campaign_id_in(path: str | os.PathLike[str]) -> str | None:
    """The file's [campaign] id, or None when the file does not read as one (the full
    load then says what is wrong). An id the schema accepts is the id testimonies are
    stored under, so listing by it shows exactly the campaign's."""
    try:
        with Path(path).open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return None
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    campaign = data.get("campaign")
    found = campaign.get("id") if isinstance(campaign, dict) else None
    return found if isinstance(found, str) and re.fullmatch(CAMPAIGN_ID, found) else None
