"""Where instaloader's calls go: the routes sit on the sessions storydesk's instaloader
context builds (its logged-in one, its anonymous ones, the copies it makes per query), held
to the campaign's HTTP policy; requests itself is never patched, so a session opened anywhere
else in the process (another library, another platform) goes where it asked."""

from __future__ import annotations

import instaloader
import instaloader.instaloadercontext as context_module
import pytest
import requests
from requests.adapters import HTTPAdapter

from config.clock import FakeClock
from config.loader import SHIPPED, load_campaign
from platforms.instagram import instaloader_client
from platforms.transport import PolicyAdapter

SANDBOX = "http://127.0.0.1:8765"
PAGE = "https://www.instagram.com/graphql/query"
MOBILE = "https://i.instagram.com/api/v1/tags/web_info/"


@pytest.fixture
def loader(monkeypatch: pytest.MonkeyPatch) -> instaloader.Instaloader:
    for name in ("STORYDESK_INSTAGRAM_SESSION_FILE", "STORYDESK_INSTAGRAM_USERNAME"):
        monkeypatch.delenv(name, raising=False)  # the sandbox file's dummy session
    return instaloader_client(load_campaign(SHIPPED / "sandbox.toml"), FakeClock())


def _routed(session: requests.Session, url: str) -> PolicyAdapter:
    adapter = session.get_adapter(url)
    assert isinstance(adapter, PolicyAdapter), f"{url} is not routed"
    assert adapter.base_url == SANDBOX
    assert adapter.policy.section == "platforms.instagram"
    return adapter


def test_every_session_the_context_builds_is_routed(loader: instaloader.Instaloader) -> None:
    context = loader.context
    logged_in = context._session
    for session in (
        logged_in,
        context.get_anonymous_session(),  # get_raw, head, anonymous_copy
        context_module.copy_session(logged_in, context.request_timeout),  # each query's copy
    ):
        _routed(session, PAGE)
        _routed(session, MOBILE)
        # any other host (a CDN's video) is still held to the policy, not rewritten
        other = session.get_adapter("https://scontent.cdninstagram.com/v/1.mp4")
        assert isinstance(other, PolicyAdapter) and other.base_url is None
    with context.anonymous_copy() as anonymous:
        _routed(anonymous._session, PAGE)


def test_a_session_opened_elsewhere_is_not_routed(loader: instaloader.Instaloader) -> None:
    # requests.Session keeps its own get_adapter: nothing replaced it for the whole process
    assert requests.Session.get_adapter.__module__ == "requests.sessions"
    plain = requests.Session()
    for url in (PAGE, MOBILE):
        assert type(plain.get_adapter(url)) is HTTPAdapter
    # a copy instaloader makes of a session nobody routed stays as instaloader makes it
    copied = context_module.copy_session(plain)
    assert type(copied.get_adapter(PAGE)) is HTTPAdapter
    # another instaloader in the process, not built by storydesk, goes where it asked
    other = instaloader.Instaloader(sleep=False, quiet=True)
    assert type(other.context._session.get_adapter(PAGE)) is HTTPAdapter


def test_instaloaders_own_error_lines_stay_off_the_terminal(
    loader: instaloader.Instaloader, capfd: pytest.CaptureFixture[str]
) -> None:
    # it printed 'GraphQL response did not contain a "status" field.' on stderr, a line
    # without a platform beside storydesk's own line for the same failure
    with loader.context.error_catcher("tag"):  # prints and swallows what it catches
        raise instaloader.exceptions.QueryReturnedBadRequestException("garbled")
    loader.context.error('GraphQL response did not contain a "status" field.')
    loader.close()  # instaloader repeats its errors when closed
    assert capfd.readouterr().err == ""
