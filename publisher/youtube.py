"""YouTube: add the participant's video to the campaign playlist; remove it on takedown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from config.clock import Clock
from config.errors import CredentialRejected, TryLater
from config.schema import YouTubePublish
from publisher.common import Job, Published, Refused, Skip, Transient


class YouTubeTarget:
    name = "youtube"

    def __init__(self, client: Any, settings: YouTubePublish, clock: Clock) -> None:
        self.client, self.settings, self.clock = client, settings, clock

    def _execute(self, request: Any, what: str) -> Any:
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError

        request._sleep = self.clock.sleep
        try:
            return request.execute(num_retries=2)
        except RefreshError as exc:
            # Google refused the refresh token: revoked, or unused for 6 months, or the OAuth
            # client is still in "testing" (refresh tokens then last 7 days)
            raise CredentialRejected(
                f"youtube {what}: Google refused the refresh token ({exc.args[0] if exc.args else exc}); "
                "the playlist owner must authorise storydesk again"
            ) from exc
        except TransportError as exc:
            raise Transient(f"youtube {what}: token refresh: {type(exc).__name__}") from exc
        except HttpError as exc:
            status = int(exc.resp.status)
            reason = exc.error_details[0].get("reason") if exc.error_details else ""
            if reason == "quotaExceeded":
                raise TryLater(
                    f"youtube {what}: daily quota spent", self.clock.now() + timedelta(hours=6)
                ) from exc
            if status in (401, 403):
                raise CredentialRejected(
                    f"youtube {what}: the platform rejected the OAuth token"
                ) from exc
            if status >= 500:
                raise Transient(f"youtube {what}: HTTP {status}") from exc
            if status == 404:
                return None
            raise Refused(f"youtube {what}: HTTP {status} {reason}") from exc
        except (OSError, ValueError) as exc:
            raise Transient(f"youtube {what}: {type(exc).__name__}") from exc

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
