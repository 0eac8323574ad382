"""TikTok: the participant's own video file through the Content Posting API."""

from __future__ import annotations

from pathlib import Path
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
    # Access tokens last hours and refresh tokens rotate on every refresh (platforms/
    # tiktok_tokens.py): the app's key and secret refresh them; the newest refresh token is
    # kept in an owner-only token file, the environment's only starts the chain.
    client_key_env: EnvName = Field(
        "STORYDESK_TIKTOK_CLIENT_KEY", description="Variable holding the TikTok app's client key."
    )
    client_secret_env: EnvName = Field(
        "STORYDESK_TIKTOK_CLIENT_SECRET",
        description="Variable holding the TikTok app's client secret.",
    )
    refresh_token_env: EnvName = Field(
        "STORYDESK_TIKTOK_REFRESH_TOKEN",
        description="Variable holding the campaign account's first refresh token (used only "
        "while there is no token file; TikTok rotates it on every refresh).",
    )
    token_file: str | None = Field(
        None,
        description="Owner-only file keeping the newest TikTok tokens (default: beside the "
        "campaign file, `<name>.tiktok-token.json`).",
    )
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


def token_path(loaded: LoadedCampaign) -> Path:
    tt: TikTokPublish = loaded.settings.publish.tiktok
    if tt.token_file:
        return Path(tt.token_file).expanduser()
    campaign = Path(loaded.path)
    return campaign.with_name(f"{campaign.stem}.tiktok-token.json")


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from platforms.tiktok_tokens import TokenStore
    from publisher.tiktok import TikTokTarget

    tt: TikTokPublish = loaded.settings.publish.tiktok
    key = require_env(tt.client_key_env, "publish.tiktok.client_key_env", loaded.settings)
    secret = require_env(tt.client_secret_env, "publish.tiktok.client_secret_env", loaded.settings)
    path = token_path(loaded)
    first = None
    if not path.exists():
        first = require_env(
            tt.refresh_token_env, "publish.tiktok.refresh_token_env", loaded.settings
        )
    session = http.session(settings=tt, section="publish.tiktok")
    tokens = TokenStore(session, f"{tt.base_url}/v2/oauth/token/", path, key, secret, first, clock)
    return TikTokTarget(session, tt, clock, tokens)


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
