"""The real clients, unchanged, pointed at an in-process sandbox the way the app points them
(platforms/x.py, platforms/youtube.py, platforms/instagram.py): tweepy through a mounted rewrite adapter, googleapiclient through
client_options api_endpoint, instaloader through host routes mounted on its own sessions.

Every answer a client receives is recorded, so a test can check it against the platform's
own schema afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httplib2
import requests

from platforms.transport import mount_rewrite
from platforms.x import ORIGIN as X_ORIGIN
from sandbox.constants import HASHTAGS
from tests.sandbox.schemas import Exchange

CAMPAIGN_QUERY = "(#LearningNeverStops OR #CitiesOfLearning OR #RegionsOfLearning) -is:retweet"
YOUTUBE_QUERY = "#LearningNeverStops|#CitiesOfLearning|#RegionsOfLearning"
ACCOUNT_TOKEN = "1600000000000000001-sandboxAccessToken"  # X user tokens start with the user id


def _decode(content: bytes, content_type: str) -> Any:
    if not content:
        return None
    if "json" not in content_type:
        return content
    import json

    try:
        return json.loads(content)
    except ValueError:
        return content


class Recorder:
    """A requests response hook: keeps every answer tweepy (or requests) got."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        content_type = response.headers.get("content-type", "")
        self.exchanges.append(
            Exchange(
                str(response.request.method),
                urlsplit(response.url).path,
                response.status_code,
                content_type,
                dict(response.headers),
                _decode(response.content, content_type),
            )
        )

    def on(self, path_prefix: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.path.startswith(path_prefix)]


def x_client(
    base_url: str,
    access_token: str | None = None,
    wait_on_rate_limit: bool = False,
    return_type: Any = None,
) -> tuple[Any, Recorder]:
    """tweepy.Client on the sandbox: app-only bearer, or OAuth 1.0a when a token is given."""
    import tweepy

    options: dict[str, Any] = {"wait_on_rate_limit": wait_on_rate_limit}
    if return_type is not None:
        options["return_type"] = return_type
    if access_token is None:
        client = tweepy.Client(bearer_token="sandbox-bearer", **options)
    else:
        client = tweepy.Client(
            consumer_key="sandbox-consumer",
            consumer_secret="sandbox-consumer-secret",
            access_token=access_token,
            access_token_secret="sandbox-token-secret",
            **options,
        )
    mount_rewrite(client.session, X_ORIGIN, base_url)
    recorder = Recorder()
    client.session.hooks["response"].append(recorder)
    return client, recorder


class RecordingHttp(httplib2.Http):
    """httplib2 (googleapiclient's transport) keeping every answer."""

    def __init__(self) -> None:
        super().__init__(timeout=10)
        self.exchanges: list[Exchange] = []

    def request(  # type: ignore[override]
        self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **kw: Any
    ) -> tuple[Any, bytes]:
        response, content = super().request(uri, method, body=body, headers=headers, **kw)
        content_type = response.get("content-type", "")
        self.exchanges.append(
            Exchange(
                method,
                urlsplit(uri).path,
                int(response.status),
                content_type,
                dict(response),
                _decode(content, content_type),
            )
        )
        return response, content


def youtube_client(
    base_url: str, oauth: bool = False, scopes: list[str] | None = None
) -> tuple[Any, RecordingHttp]:
    """googleapiclient youtube v3 on the sandbox: API key, or the owner's OAuth refresh token
    (google-auth fetches access tokens from the sandbox's /token; they expire in an hour),
    asking for `scopes` when given (else the token carries the whole grant)."""
    from googleapiclient.discovery import build

    http = RecordingHttp()
    transport: Any = http
    if oauth:
        import google_auth_httplib2
        from google.oauth2.credentials import Credentials

        credentials = Credentials(  # type: ignore[no-untyped-call]
            token=None,
            refresh_token="sandbox-refresh",
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            token_uri=f"{base_url}/token",
            scopes=scopes,
        )
        transport = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
        # token refreshes are Google's OAuth server, not the YouTube API: not recorded
        transport._request = google_auth_httplib2.Request(httplib2.Http())
    client = build(
        "youtube",
        "v3",
        developerKey=None if oauth else "sandbox-key",
        http=transport,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": base_url},
    )
    return client, http


def campaign_posts(server: Any, platform: str, tags: Iterable[str] = HASHTAGS) -> list[Any]:
    """The sandbox's ground truth: its world's available posts carrying a campaign hashtag."""
    wanted = [f"#{t.lower()}" for t in tags]
    return [
        p
        for p in server.state.world.posts
        if p.platform == platform
        and p.state == "available"
        and any(t in p.text.lower() for t in wanted)
    ]


def control(base_url: str, action: str, body: dict[str, Any]) -> Any:
    answer = requests.post(f"{base_url}/__sandbox__/{action}", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()


def stats(base_url: str) -> dict[str, Any]:
    return dict(requests.get(f"{base_url}/__sandbox__/stats", timeout=10).json())
