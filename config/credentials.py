"""Credentials come only from the environment; the campaign file names the variables.

Values are never logged, printed or stored: errors name the variable, not its content.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from config import redact
from config.errors import ConfigError

if TYPE_CHECKING:
    from config.schema import Campaign

# Shaped like an X access token ("<user id>-<secret>"): tweepy reads the id from it.
DUMMY = "0-storydesk-dummy-credential"


def require_env(variable: str, field: str, campaign: Campaign | None = None) -> str:
    """The secret held by `variable`, or a ConfigError naming the campaign field and variable.

    With ``[credentials] dummy_on_loopback`` (only valid when every base_url is local) an
    unset variable yields a dummy, so the sandbox can be tried before anyone holds API keys.
    """
    value = os.environ.get(variable, "").strip()
    if value:
        redact.remember(value)
        return value
    if campaign is not None and campaign.credentials.dummy_on_loopback:
        return DUMMY
    raise ConfigError(f"{field}: environment variable {variable} is not set")
