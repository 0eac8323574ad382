"""Facebook: the posts that tag the campaign Page (hashtags do not work there), and Page
posts of approved testimonies, through the Graph API with requests."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import Field

from config.credentials import require_env
from config.fields import EnvName, GraphVersion, Harvest, PathSegment, Target, Template, Url
from consent import normalise
from platforms import graph, http
from platforms.base import Platform

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from compliance.summary import ComplianceSummary
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from harvester.common import Collector
    from publisher.common import Target as PublishTarget

ORIGIN = "https://graph.facebook.com"


class FacebookHarvest(Harvest):
    base_url: Url = ORIGIN
    graph_version: GraphVersion = "v25.0"  # lives until 2028-07-29 (Meta changelog)
    page_id: PathSegment = Field(description="The campaign Page whose tagged posts are harvested.")
    access_token_env: EnvName = "STORYDESK_FACEBOOK_PAGE_TOKEN"


class FacebookPublish(Target):
    base_url: Url = ORIGIN
    graph_version: GraphVersion = "v25.0"  # lives until 2028-07-29 (Meta changelog)
    page_id: PathSegment = Field(description="The campaign Page that posts the testimony.")
    access_token_env: EnvName = "STORYDESK_FACEBOOK_PAGE_TOKEN"
    message: Template = Field(
        "{first_name} from {city}, {country}: {excerpt} {hashtags}",
        description="Page post text, with the template fields.",
    )


def _collectors(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> list[Collector]:
    from harvester.facebook import FacebookCollector

    fb: FacebookHarvest = loaded.settings.platforms.facebook
    token = require_env(fb.access_token_env, "platforms.facebook.access_token_env", loaded.settings)
    return [
        FacebookCollector(http.session(settings=fb, section="platforms.facebook"), fb, token, clock)
    ]


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.graph import FacebookTarget

    fb: FacebookPublish = loaded.settings.publish.facebook
    token = require_env(fb.access_token_env, "publish.facebook.access_token_env", loaded.settings)
    return FacebookTarget(
        http.session(token=token, settings=fb, section="publish.facebook"), fb, clock
    )


def _source_check(sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock) -> Any:
    from compliance import listings

    def step(summary: ComplianceSummary) -> None:
        listing = listings.facebook_listing(loaded, summary, clock)
        listings.sweep_listing(sessions, loaded, clock, summary, "facebook", listing)

    return step


def _consent_reader(value: str | None) -> tuple[str | None, str | None]:
    return normalise.facebook_profile(value)


PLATFORM = Platform(
    name="facebook",
    label="Facebook",
    capabilities={"harvest": True, "publish": True, "delete": True, "reply": False},
    harvest_settings=FacebookHarvest,
    publish_settings=FacebookPublish,
    collectors=_collectors,
    target=_target,
    source_check=_source_check,
    classify=graph.classify,
    consent_field="facebook_profile",
    id_shape=re.compile(r"^[0-9]{1,30}(?:_[0-9]{1,30})?$"),  # "<page id>_<post id>" or an id
    consent_reader=_consent_reader,
    # the Page's `tagged` edge finds posts; hashtags do not work there
    found_by_page_tag=True,
)
