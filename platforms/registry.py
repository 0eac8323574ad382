"""The one list of platforms. Adding a platform is one module in platforms/ and one line here.

Each module named below defines ``PLATFORM`` (a platforms.base.Platform). Everything that
needs the list of platforms asks this module; an unknown name is an error, never a default.
"""

from __future__ import annotations

import importlib

from config.errors import ConfigError
from platforms.base import Platform

MODULES = (
    "platforms.x",
    "platforms.youtube",
    "platforms.instagram",
    "platforms.facebook",
    "platforms.linkedin",
    "platforms.tiktok",
    "platforms.gallery",
    "platforms.bluesky",
)

_registry: dict[str, Platform] = {}


def register(platform: Platform) -> Platform:
    """Add a platform (tests add made-up ones; see tests/platforms). Names are unique."""
    if platform.name in _registry and _registry[platform.name] is not platform:
        raise ValueError(f"platform {platform.name} is registered twice")
    _registry[platform.name] = platform
    return platform


def unregister(name: str) -> None:
    _registry.pop(name, None)


def _load() -> None:
    for module in MODULES:
        register(importlib.import_module(module).PLATFORM)


def all_platforms() -> list[Platform]:
    if not _registry:
        _load()
    return list(_registry.values())


def names(capability: str | None = None) -> list[str]:
    """Platform names in registry order; with `capability`, only those that have it."""
    return [p.name for p in all_platforms() if capability is None or p.can(capability)]


def get(name: str) -> Platform:
    if not _registry:
        _load()
    if name in _registry:
        return _registry[name]
    raise ConfigError(f"unknown platform '{name}' (known: {', '.join(names())})")


def consent_fields() -> dict[str, str]:
    """platform -> the consent form's column naming the person's account there."""
    return {p.name: p.consent_field for p in all_platforms() if p.consent_field}
