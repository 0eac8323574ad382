"""TikTok: the participant's own video file through the Content Posting API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

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
    # Content from an app TikTok has not audited is private-only (developers.tiktok.com/doc/
    # content-posting-api-get-started): the default sends a draft to the account's inbox.
    mode: Literal["inbox", "direct"] = Field(
        "inbox",
        description="`inbox`: a draft the account holder finishes in the TikTok app; "
        "`direct`: posted at once (public only once TikTok has audited the app).",
    )
    audited: bool = Field(
        False,
        description="Set once TikTok has audited the app (unaudited apps post privately only).",
    )
    privacy_level: str = Field(
        "SELF_ONLY", description="TikTok privacy of the post (unaudited apps: SELF_ONLY)."
    )
    title: Template = Field(
        "{first_name}, {city} {hashtags}", description="Video title, with the template fields."
    )

    @model_validator(mode="after")
    def _direct_needs_audit(self) -> TikTokPublish:
        if self.mode == "direct" and not self.audited and self.privacy_level != "SELF_ONLY":
            raise ValueError(
                'mode = "direct" with a public privacy level needs an app TikTok has audited '
                "(unaudited apps post privately only): set audited = true once it is, or use "
                'mode = "inbox"'
            )
        return self


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.tiktok import TikTokTarget

    tt: TikTokPublish = loaded.settings.publish.tiktok
    token = require_env(tt.access_token_env, "publish.tiktok.access_token_env", loaded.settings)
    return TikTokTarget(http.session(token=token, settings=tt, section="publish.tiktok"), tt, clock)


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
