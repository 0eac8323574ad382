"""Targets built on first use, from the campaign file, with their clients."""

from __future__ import annotations

import importlib

from config.clock import Clock
from config.credentials import require_env
from config.schema import LoadedCampaign
from publisher.common import Target

# Targets reached with requests and a bearer token: name -> (module, class), imported on use.
BEARER_TARGETS = {
    "instagram": ("publisher.graph", "InstagramTarget"),
    "facebook": ("publisher.graph", "FacebookTarget"),
    "linkedin": ("publisher.linkedin", "LinkedInTarget"),
    "tiktok": ("publisher.tiktok", "TikTokTarget"),
}


class TargetRegistry:
    def __init__(self, loaded: LoadedCampaign, clock: Clock) -> None:
        self.loaded, self.clock = loaded, clock
        self._built: dict[str, Target] = {}

    def get(self, name: str) -> Target:
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def _build(self, name: str) -> Target:
        from platforms import publish_clients as clients

        publish, settings, clock = self.loaded.settings.publish, self.loaded.settings, self.clock
        if name == "x":
            from publisher.x import XTarget

            assert publish.x is not None
            return XTarget(clients.x_user_client(self.loaded), publish.x, clock)
        if name == "youtube":
            from publisher.youtube import YouTubeTarget

            assert publish.youtube is not None
            return YouTubeTarget(clients.youtube_owner_client(self.loaded), publish.youtube, clock)
        if name in BEARER_TARGETS:
            module, cls = BEARER_TARGETS[name]
            section = getattr(publish, name)
            assert section is not None
            field = f"publish.{name}.access_token_env"
            token = require_env(section.access_token_env, field, settings)
            target: Target = getattr(importlib.import_module(module), cls)(
                clients.bearer_session(token), section, clock
            )
            return target
        from publisher.gallery_target import GalleryTarget

        assert publish.gallery is not None
        return GalleryTarget(publish.gallery)
