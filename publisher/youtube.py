"""YouTube: add the participant's video to the campaign playlist; remove it on takedown."""

from __future__ import annotations

from typing import Any

from config.clock import Clock
from config.retry import retry
from platforms.base import reraise
from platforms.youtube import YouTubePublish, classify
from publisher.common import Job, Published, Skip

RETRIES = 2  # of a listing that met a server error; more waits for the next cycle


class YouTubeTarget:
    name = "youtube"

    def __init__(self, client: Any, settings: YouTubePublish, clock: Clock) -> None:
        self.client, self.settings, self.clock = client, settings, clock

    def _execute(self, request: Any, what: str, safe_to_repeat: bool = False) -> Any:
        """One call, sorted by the platform's one mapping; 404 is None (already gone). Only
        a call that is safe to repeat (a listing) is retried: an insert that timed out may
        have happened, and the outbox settles that by asking (find_existing)."""
        from googleapiclient.errors import HttpError

        request._sleep = self.clock.sleep

        def call() -> Any:
            try:
                return request.execute()
            except HttpError as exc:
                if int(exc.resp.status) == 404:
                    return None
                reraise(classify, exc, what, self.clock.now())
            except Exception as exc:  # noqa: BLE001 - sorted by the platform's one mapping
                reraise(classify, exc, what, self.clock.now())

        if not safe_to_repeat:
            return call()
        # the last failure stays Transient: the outbox's own back-off takes it from there
        return retry(call, self.clock, RETRIES, f"youtube {what}", give_up=False)

    def _video(self, job: Job) -> str:
        copy = job.copy_on("youtube")
        if copy is None:
            raise Skip("no copy of this testimony on YouTube to add to the playlist")
        return copy.native_id

    def describe(self, job: Job) -> str:
        return f"add video {self._video(job)} to playlist {self.settings.playlist_id}"

    def publish(self, job: Job) -> Published:
        video = self._video(job)
        body = {
            "snippet": {
                "playlistId": self.settings.playlist_id,
                "resourceId": {"kind": "youtube#video", "videoId": video},
            }
        }
        item = self._execute(
            self.client.playlistItems().insert(part="snippet", body=body), "insert"
        )
        return Published(
            item["id"], f"https://www.youtube.com/watch?v={video}&list={self.settings.playlist_id}"
        )

    def find_existing(self, job: Job) -> Published | None:
        video = self._video(job)
        answer = self._execute(
            self.client.playlistItems().list(
                part="snippet", playlistId=self.settings.playlist_id, videoId=video, maxResults=5
            ),
            "list",
            safe_to_repeat=True,
        )
        for item in (answer or {}).get("items", []):
            if item["snippet"]["resourceId"]["videoId"] == video:
                return Published(
                    item["id"],
                    f"https://www.youtube.com/watch?v={video}&list={self.settings.playlist_id}",
                )
        return None

    def take_down(self, job: Job) -> None:
        if job.external_id:
            self._execute(self.client.playlistItems().delete(id=job.external_id), "delete")
