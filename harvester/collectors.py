"""Builds the collectors a platform needs from the campaign file (the registry knows how)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.errors import ConfigError
from config.schema import LoadedCampaign
from harvester.common import Collector
from platforms import registry


def build_collectors(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, platform: str, clock: Clock
) -> list[Collector]:
    entry = registry.get(platform)
    if entry.collectors is None:
        raise ConfigError(f"{entry.label} cannot be harvested (publish only)")
    if loaded.settings.platforms.section(platform) is None:
        raise ConfigError(f"{loaded.path}: platforms.{platform} is not configured")
    return entry.collectors(sessions, loaded, clock)
