"""Builds the collectors a platform needs from the campaign file (clients from platforms/)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from config.credentials import require_env
from config.schema import LoadedCampaign
from harvester.common import Collector


def build_collectors(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, platform: str, clock: Clock
) -> list[Collector]:
    from platforms import clients

    settings = loaded.settings
    if platform == "x":
        from harvester.x import XCollector

        assert settings.platforms.x is not None
        return [XCollector(clients.x_search_client(loaded), settings.platforms.x, settings, clock)]
    if platform == "youtube":
        from harvester.pipeline import known_authors, quota_used_today
        from harvester.youtube import YouTubeCollector

        yt = settings.platforms.youtube
        assert yt is not None

        def quota_left() -> int:
            with sessions() as session:
                return yt.daily_quota - quota_used_today(session, "youtube", clock.now())

        def known_channels(channel_ids: list[str]) -> set[str]:
            with sessions() as session:
                return known_authors(session, loaded.id, "youtube", channel_ids)

        return [
            YouTubeCollector(
                clients.youtube_client(loaded), yt, settings, clock, quota_left, known_channels
            )
        ]
    if platform == "instagram":
        ig = settings.platforms.instagram
        assert ig is not None
        if ig.collector == "graph":
            from harvester.instagram_graph import GraphHashtagCollector

            return [
                GraphHashtagCollector.build(loaded, tag, clock)
                for tag in settings.campaign.hashtags
            ]
        from harvester.instagram import InstagramCollector

        loader = clients.instaloader_client(loaded, clock)
        return [InstagramCollector(loader, ig, tag, clock) for tag in settings.campaign.hashtags]
    from harvester.facebook import FacebookCollector

    fb = settings.platforms.facebook
    assert fb is not None
    token = require_env(fb.access_token_env, "platforms.facebook.access_token_env", settings)
    return [FacebookCollector(clients.graph_session(fb.timeout_seconds), fb, token, clock)]
