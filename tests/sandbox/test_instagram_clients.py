"""instaloader 4.16, unchanged, against the sandbox through the host routes the app mounts on
the sessions its instaloader context builds: hashtag posts with a loaded session;
login_required without one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import instaloader
import pytest

from harvester.instagram import node_to_post
from platforms.instagram import route_instaloader
from tests.sandbox.support import campaign_posts, control

TAG = "LearningNeverStops"


@pytest.fixture
def loader(sandbox: Any) -> Iterator[instaloader.Instaloader]:
    loader = instaloader.Instaloader(
        sleep=False, quiet=True, max_connection_attempts=1, iphone_support=False
    )
    route_instaloader(
        loader.context,
        {"www.instagram.com": sandbox.base_url, "i.instagram.com": sandbox.base_url},
    )
    yield loader
    loader.close()


def logged_in(loader: instaloader.Instaloader) -> instaloader.Instaloader:
    # What load_session_from_file restores; it needs no network.
    loader.load_session(
        "storydesk_demo",
        {"sessionid": "sandbox-session", "csrftoken": "c", "ds_user_id": "1", "mid": "m"},
    )
    return loader


def test_hashtag_posts_with_a_session(sandbox: Any, loader: instaloader.Instaloader) -> None:
    logged_in(loader)
    expected = {p.native_id: p for p in campaign_posts(sandbox, "instagram", [TAG])}

    hashtag = instaloader.Hashtag.from_name(loader.context, TAG)
    assert hashtag.name == TAG.lower()
    assert hashtag.mediacount == len(expected)
    posts = list(hashtag.get_posts_resumable())

    assert len(posts) == len({p.shortcode for p in posts}) == len(expected) > 0
    assert {str(p.mediaid) for p in posts} == set(expected)
    for post in posts:
        world = expected[str(post.mediaid)]
        owner = sandbox.state.world.people[world.person].handles["instagram"]
        assert post.owner_username == owner
        assert post.caption == world.text
        assert post.is_video == world.is_video
        assert node_to_post(post._node).author_handle == owner


def test_a_frozen_iterator_resumes_where_it_stopped(
    sandbox: Any, loader: instaloader.Instaloader
) -> None:
    logged_in(loader)
    control(sandbox.base_url, "posts", {"count": 30, "platform": "instagram"})
    hashtag = instaloader.Hashtag(loader.context, {"name": TAG.lower()})
    whole = [p.shortcode for p in hashtag.get_posts_resumable()]
    assert len(whole) > 14  # more than one page of 12

    first = hashtag.get_posts_resumable()
    head = [next(first).shortcode for _ in range(14)]
    frozen = first.freeze()
    again = instaloader.Hashtag(loader.context, {"name": TAG.lower()}).get_posts_resumable()
    again.thaw(frozen)
    rest = [p.shortcode for p in again]

    assert rest[0] == head[-1]  # thaw repeats the last item, as instaloader documents
    assert head + rest[1:] == whole


def test_without_a_session_instagram_says_login_required(
    sandbox: Any, loader: instaloader.Instaloader
) -> None:
    with pytest.raises(instaloader.ConnectionException, match="login_required"):
        instaloader.Hashtag.from_name(loader.context, TAG)
    hashtag = instaloader.Hashtag(loader.context, {"name": TAG.lower()})
    with pytest.raises(instaloader.ConnectionException, match="403 Forbidden.*login_required"):
        next(iter(hashtag.get_posts_resumable()))
