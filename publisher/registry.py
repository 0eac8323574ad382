"""Targets built on first use, from the campaign file, with their clients (the platform
registry knows how to build each)."""

from __future__ import annotations

from config.clock import Clock
from config.errors import ConfigError
from config.schema import LoadedCampaign
from platforms import registry
from publisher.common import Target


class TargetRegistry:
    def __init__(self, loaded: LoadedCampaign, clock: Clock) -> None:
        self.loaded, self.clock = loaded, clock
        self._built: dict[str, Target] = {}

    def get(self, name: str) -> Target:
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def _build(self, name: str) -> Target:
        entry = registry.get(name)
        if entry.target is None:
            raise ConfigError(f"{entry.label} is not a publish target")
        if self.loaded.settings.publish.section(name) is None:
            raise ConfigError(f"{self.loaded.path}: publish.{name} is not configured")
        return entry.target(self.loaded, self.clock)
