"""YouTube playlist writes with the owner's refresh token: the sandbox's access tokens die
after an hour, as Google's do. A daemon publishing past that hour goes on (google-auth
refreshes the token), and a revoked grant is a credential a person must renew."""

from __future__ import annotations

from typing import Any

import pytest

from config.clock import SystemClock
from config.credentials import DUMMY
from config.errors import CredentialRejected
from publisher.common import Copy, Job
from publisher.registry import TargetRegistry
from tests.sandboxed import Setup, load


def job(video: str) -> Job:
    url = f"https://www.youtube.com/watch?v={video}"
    copy = Copy("youtube", video, url, "", None)
    return Job(
        1, 1, "youtube", f"k-{video}", [copy], "Amina", "Lagos", "Nigeria", None, None, None, []
    )


def test_a_long_running_publisher_outlives_its_access_token_and_a_revoked_grant_is_said(
    ready: Setup, sandbox: Any
) -> None:
    target = TargetRegistry(load(ready), SystemClock()).get("youtube")
    videos = [p.native_id for p in sandbox.state.world.posts if p.platform == "youtube"][:3]

    target.publish(job(videos[0]))
    ready.control("clock", {"advance": 2 * 3600})  # the access token it holds is dead now
    target.publish(job(videos[1]))
    added = {
        i["snippet"]["resourceId"]["videoId"] for i in sandbox.state.published["youtube"].values()
    }
    assert added == set(videos[:2])
    assert len(sandbox.state.oauth_tokens) == 2  # one refresh at start, one after the hour

    ready.control("revoke", {"refresh_token": DUMMY})  # the owner removed storydesk's access
    with pytest.raises(CredentialRejected, match="authorise storydesk again"):
        target.publish(job(videos[2]))
