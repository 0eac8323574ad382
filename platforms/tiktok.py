"""TikTok: the participant's own video file through the Content Posting API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from config.credentials import require_env
from config.fields import EnvName, Target, Template, Url
from platforms import http
from platforms.base import Platform

if TYPE_CHECKING:
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from publisher.common import Target as PublishTarget


class TikTokPublish(Target):
    base_url: Url = "https://open.tiktokapis.com"
    access_token_env: EnvName = "STORYDESK_TIKTOK_ACCESS_TOKEN"
    privacy_level: str = Field(
        "SELF_ONLY", description="TikTok privacy of the post (unaudited apps: SELF_ONLY)."
    )
    title: Template = Field(
        "{first_name}, {city} {hashtags}", description="Video title, with the template fields."
    )


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.tiktok import TikTokTarget

    tt: TikTokPublish = loaded.settings.publish.tiktok
    token = require_env(tt.access_token_env, "publish.tiktok.access_token_env", loaded.settings)
    return TikTokTarget(http.session(token=token), tt, clock)


PLATFORM = Platform(
    name="tiktok",
    label="TikTok",
    # The Content Posting API cannot delete: takedowns are done by hand (`taken-down`).
    capabilities={"publish": True, "delete": False},
    publish_settings=TikTokPublish,
    target=_target,
    classify=http.classify,
    consent_field="tiktok_handle",
)
