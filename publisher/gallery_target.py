"""The website gallery as a target: an item appears when the gallery is rebuilt."""

from __future__ import annotations

from platforms.gallery import GalleryPublish
from publisher.common import Job, Published


class GalleryTarget:
    name = "gallery"

    def __init__(self, settings: GalleryPublish) -> None:
        self.settings = settings

    def _published(self, job: Job) -> Published:
        return Published(
            f"gallery:{job.testimony_id}",
            f"{self.settings.site_url.rstrip('/')}/#t{job.testimony_id}",
        )

    def describe(self, job: Job) -> str:
        return f"card for testimony {job.testimony_id} in {self.settings.out}/index.html"

    def publish(self, job: Job) -> Published:
        return self._published(job)

    def find_existing(self, job: Job) -> Published | None:
        return self._published(job)

    def take_down(self, job: Job) -> None:
        return None  # the rebuild at the end of the cycle leaves it out
