"""Publishing-side clients, built from the campaign file's [publish.*] sections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from config.credentials import require_env
from config.schema import LoadedCampaign
from platforms.clients import X_ORIGIN, graph_session
from platforms.transport import mount_rewrite

if TYPE_CHECKING:
    import requests
    import tweepy


def x_user_client(loaded: LoadedCampaign) -> tweepy.Client:
    """The campaign account (OAuth 1.0a user context): retweets, quotes, deletes."""
    import tweepy

    x = loaded.settings.publish.x
    assert x is not None
    s = loaded.settings
    client = tweepy.Client(
        consumer_key=require_env(x.consumer_key_env, "publish.x.consumer_key_env", s),
        consumer_secret=require_env(x.consumer_secret_env, "publish.x.consumer_secret_env", s),
        access_token=require_env(x.access_token_env, "publish.x.access_token_env", s),
        access_token_secret=require_env(
            x.access_token_secret_env, "publish.x.access_token_secret_env", s
        ),
        return_type=dict,
        wait_on_rate_limit=False,
    )
    mount_rewrite(client.session, X_ORIGIN, x.base_url)
    return client


def youtube_owner_client(loaded: LoadedCampaign) -> Any:
    """The playlist owner's OAuth client: playlistItems insert/delete need it. google-auth
    refreshes the access token from the refresh token before it expires and on a 401."""
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    yt = loaded.settings.publish.youtube
    assert yt is not None
    s = loaded.settings
    credentials = Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=require_env(yt.refresh_token_env, "publish.youtube.refresh_token_env", s),
        client_id=require_env(yt.client_id_env, "publish.youtube.client_id_env", s),
        client_secret=require_env(yt.client_secret_env, "publish.youtube.client_secret_env", s),
        token_uri=f"{yt.oauth_base_url}/token",
        scopes=["https://www.googleapis.com/auth/youtube"],
    )
    return build(
        "youtube",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": yt.base_url},
    )


def bearer_session(token: str, timeout: float = 30) -> requests.Session:
    session = graph_session(timeout)
    session.headers["Authorization"] = f"Bearer {token}"
    return session
