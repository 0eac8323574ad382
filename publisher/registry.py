"""Targets built on first use, from the campaign file, with their clients."""

from __future__ import annotations

from config.clock import Clock
from config.credentials import require_env
from config.schema import LoadedCampaign
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
        if name == "instagram":
            from publisher.graph import InstagramTarget

            ig = publish.instagram
            assert ig is not None
            token = require_env(ig.access_token_env, "publish.instagram.access_token_env", settings)
            return InstagramTarget(clients.bearer_session(token), ig, clock)
        if name == "facebook":
            from publisher.graph import FacebookTarget

            fb = publish.facebook
            assert fb is not None
            token = require_env(fb.access_token_env, "publish.facebook.access_token_env", settings)
            return FacebookTarget(clients.bearer_session(token), fb, clock)
        if name == "linkedin":
            from publisher.linkedin import LinkedInTarget

            li = publish.linkedin
            assert li is not None
            token = require_env(li.access_token_env, "publish.linkedin.access_token_env", settings)
            return LinkedInTarget(clients.bearer_session(token), li, clock)
        if name == "tiktok":
            from publisher.tiktok import TikTokTarget

            tt = publish.tiktok
            assert tt is not None
            token = require_env(tt.access_token_env, "publish.tiktok.access_token_env", settings)
            return TikTokTarget(clients.bearer_session(token), tt, clock)
        from publisher.gallery_target import GalleryTarget

        assert publish.gallery is not None
        return GalleryTarget(publish.gallery)
