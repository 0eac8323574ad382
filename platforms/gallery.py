"""The website gallery: a static page, JSON feed and RSS the campaign serves itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from config.fields import Strict
from platforms.base import Platform

if TYPE_CHECKING:
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from publisher.common import Target as PublishTarget


class GalleryPublish(Strict):
    enabled: bool = True
    out: str = Field(
        "gallery",
        description=(
            "Folder the static gallery is written to: a new or empty one (marked "
            "`.storydesk-gallery`, replaced whole on each rebuild) or a symlink to an empty "
            "folder in a web root (its files replaced one by one). A folder holding anything "
            "else is refused."
        ),
    )
    title: str = Field("Learning never stops: testimonies", description="The gallery page's title.")
    site_url: str = Field(
        "https://example.org/gallery",
        description="Where the gallery is served (links in the feeds).",
    )


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.gallery_target import GalleryTarget

    return GalleryTarget(loaded.settings.publish.gallery)


PLATFORM = Platform(
    name="gallery",
    label="website gallery",
    capabilities={"publish": True, "delete": True},
    publish_settings=GalleryPublish,
    target=_target,
    aliases=("website", "web"),
    website=True,
)
