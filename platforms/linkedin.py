"""LinkedIn: a post on the organisation's page linking the testimony (Posts API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from config.credentials import require_env
from config.fields import EnvName, Target, Template, Url, pattern
from platforms import http
from platforms.base import Platform

if TYPE_CHECKING:
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from publisher.common import Target as PublishTarget


class LinkedInPublish(Target):
    base_url: Url = "https://api.linkedin.com"
    author: Annotated[
        str,
        pattern(
            r"^urn:li:(person|organization):\S+$",
            "urn:li:organization:ID or urn:li:person:ID",
            description="`urn:li:organization:ID` or `urn:li:person:ID` that posts.",
        ),
    ]
    version: Annotated[
        str,
        pattern(
            r"^\d{6}$",
            "six digits, a year and month such as 202603",
            description="The LinkedIn-Version header (YYYYMM).",
        ),
    ] = "202603"  # a version lives about a year, then 426 (202411 was sunset in 2025)
    access_token_env: EnvName = "STORYDESK_LINKEDIN_ACCESS_TOKEN"
    commentary: Template = Field(
        "{first_name} from {city}, {country}: {excerpt} {hashtags}",
        description="Post text, with the template fields.",
    )


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.linkedin import LinkedInTarget

    li: LinkedInPublish = loaded.settings.publish.linkedin
    token = require_env(li.access_token_env, "publish.linkedin.access_token_env", loaded.settings)
    return LinkedInTarget(
        http.session(token=token, settings=li, section="publish.linkedin"), li, clock
    )


PLATFORM = Platform(
    name="linkedin",
    label="LinkedIn",
    capabilities={"publish": True, "delete": True},
    publish_settings=LinkedInPublish,
    target=_target,
    classify=http.classify,
    consent_field="linkedin_profile",
)
