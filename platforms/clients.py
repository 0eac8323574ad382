"""Harvest-side clients, built from the campaign file: base URL, credentials, timeouts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from config.clock import Clock
from config.credentials import DUMMY, require_env
from config.errors import ConfigError
from config.schema import LoadedCampaign
from platforms.transport import mount_rewrite, route_hosts

if TYPE_CHECKING:
    import instaloader
    import requests
    import tweepy

X_ORIGIN = "https://api.twitter.com"


def _settings(loaded: LoadedCampaign, platform: str) -> Any:
    section = getattr(loaded.settings.platforms, platform)
    if section is None:
        raise ConfigError(f"{loaded.path}: platforms.{platform} is not configured")
    return section


def x_search_client(loaded: LoadedCampaign) -> tweepy.Client:
    import tweepy

    settings = _settings(loaded, "x")
    token = require_env(settings.bearer_token_env, "platforms.x.bearer_token_env", loaded.settings)
    client = tweepy.Client(bearer_token=token, return_type=dict, wait_on_rate_limit=False)
    mount_rewrite(client.session, X_ORIGIN, settings.base_url)
    return client


def youtube_client(loaded: LoadedCampaign) -> Any:
    from googleapiclient.discovery import build

    settings = _settings(loaded, "youtube")
    key = require_env(settings.api_key_env, "platforms.youtube.api_key_env", loaded.settings)
    return build(
        "youtube",
        "v3",
        developerKey=key,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": settings.base_url},
    )


def instaloader_client(loaded: LoadedCampaign, clock: Clock) -> instaloader.Instaloader:
    import instaloader

    settings = _settings(loaded, "instagram")
    route_hosts(
        {"www.instagram.com": settings.base_url, "i.instagram.com": settings.mobile_base_url}
    )
    loader = instaloader.Instaloader(
        sleep=False,
        quiet=True,
        max_connection_attempts=1,
        iphone_support=False,
        download_pictures=False,
        download_videos=False,
        save_metadata=False,
        request_timeout=settings.timeout_seconds,
        rate_controller=lambda ctx: _RateController(ctx, clock),  # type: ignore[arg-type,return-value]
    )
    username = require_env(
        settings.username_env, "platforms.instagram.username_env", loaded.settings
    )
    session_file = require_env(
        settings.session_file_env, "platforms.instagram.session_file_env", loaded.settings
    )
    if session_file == DUMMY:  # sandbox: a made-up session, no file
        loader.load_session(
            username,
            {"sessionid": session_file, "csrftoken": "dummy", "ds_user_id": "1", "mid": "dummy"},
        )
    else:
        try:
            loader.load_session_from_file(username, session_file)
        except FileNotFoundError:
            raise ConfigError(
                f"platforms.instagram.session_file_env: the session file named by "
                f"{settings.session_file_env} does not exist (make it with `instaloader --login`)"
            ) from None
    return loader


class _RateController:
    """instaloader's 429 handling, sleeping on the injected clock."""

    def __init__(self, context: Any, clock: Clock) -> None:
        import instaloader

        self._inner = instaloader.RateController(context)
        self._clock = clock

    def sleep(self, secs: float) -> None:
        self._clock.sleep(secs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def wait_before_query(self, query_type: str) -> None:
        return None

    def handle_429(self, query_type: str) -> None:
        from instaloader.exceptions import TooManyRequestsException

        raise TooManyRequestsException("429 Too Many Requests: Please wait a few minutes")


def graph_session(timeout: float) -> requests.Session:
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "storydesk"
    session.request = _with_timeout(session.request, timeout)  # type: ignore[method-assign]
    return session


def _with_timeout(request: Any, timeout: float) -> Any:
    def call(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout)
        return request(method, url, **kwargs)

    return call
