"""googleapiclient's youtube v3, unchanged, against the sandbox: search with list_next to the
end, videos.list, and the playlist owner's playlistItems insert/list/delete.

Every answer is checked against the discovery document shipped inside googleapiclient.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from harvester.youtube import parse_duration
from sandbox.constants import YOUTUBE_PLAYLIST_ID
from tests.sandbox.schemas import assert_conform, youtube_discovery
from tests.sandbox.support import (
    YOUTUBE_QUERY,
    campaign_posts,
    control,
    stats,
    youtube_client,
)


def test_search_pages_with_list_next_until_exhausted(sandbox: Any) -> None:
    youtube, http = youtube_client(sandbox.base_url)
    expected = {p.native_id for p in campaign_posts(sandbox, "youtube")}

    seen: list[str] = []
    request = youtube.search().list(
        part="snippet", q=YOUTUBE_QUERY, type="video", order="date", maxResults=5
    )
    pages = 0
    while request is not None:
        answer = request.execute()
        pages += 1
        seen += [item["id"]["videoId"] for item in answer["items"]]
        assert answer["pageInfo"]["totalResults"] == len(expected)
        request = youtube.search().list_next(request, answer)

    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert pages == -(-len(expected) // 5)
    assert stats(sandbox.base_url)["quota_units"] == {"youtube": 0, "youtube:search": pages}
    assert_conform(youtube_discovery(), http.exchanges)


def test_videos_list_gives_durations_and_status(sandbox: Any) -> None:
    youtube, http = youtube_client(sandbox.base_url)
    posts = {p.native_id: p for p in campaign_posts(sandbox, "youtube")}
    ids = list(posts)[:50]

    answer = youtube.videos().list(part="snippet,contentDetails,status", id=",".join(ids)).execute()

    assert [item["id"] for item in answer["items"]] == ids
    for item in answer["items"]:
        seconds = parse_duration(item["contentDetails"]["duration"])
        assert seconds == pytest.approx(posts[item["id"]].duration, abs=0.5)
        assert item["status"]["privacyStatus"] == "public"
        assert item["snippet"]["description"] == posts[item["id"]].text
    assert_conform(youtube_discovery(), http.exchanges)


def test_playlist_items_insert_list_delete(sandbox: Any) -> None:
    youtube, http = youtube_client(sandbox.base_url, oauth=True)
    videos = [p.native_id for p in campaign_posts(sandbox, "youtube")[:3]]

    inserted = [
        youtube.playlistItems()
        .insert(
            part="snippet",
            body={
                "snippet": {
                    "playlistId": YOUTUBE_PLAYLIST_ID,
                    "resourceId": {"kind": "youtube#video", "videoId": video},
                }
            },
        )
        .execute()
        for video in videos
    ]
    assert [i["snippet"]["resourceId"]["videoId"] for i in inserted] == videos

    listed: list[str] = []
    request = youtube.playlistItems().list(
        part="snippet", playlistId=YOUTUBE_PLAYLIST_ID, maxResults=2
    )
    while request is not None:
        answer = request.execute()
        listed += [i["snippet"]["resourceId"]["videoId"] for i in answer["items"]]
        request = youtube.playlistItems().list_next(request, answer)
    assert listed == videos

    youtube.playlistItems().delete(id=inserted[0]["id"]).execute()
    left = youtube.playlistItems().list(part="snippet", playlistId=YOUTUBE_PLAYLIST_ID).execute()
    assert [i["id"] for i in left["items"]] == [i["id"] for i in inserted[1:]]
    with pytest.raises(HttpError) as gone:
        youtube.playlistItems().delete(id=inserted[0]["id"]).execute()
    assert gone.value.resp.status == 404
    assert gone.value.error_details[0]["reason"] == "playlistItemNotFound"

    assert stats(sandbox.base_url)["quota_units"]["youtube"] == 50 * 3 + 1 * 3 + 50 * 2
    assert_conform(youtube_discovery(), http.exchanges)


def test_writes_need_the_owner_token_not_an_api_key(sandbox: Any) -> None:
    youtube, http = youtube_client(sandbox.base_url)
    with pytest.raises(HttpError) as refused:
        youtube.playlistItems().delete(id="anything").execute()
    assert refused.value.resp.status == 401
    assert_conform(youtube_discovery(), http.exchanges)


def test_access_tokens_expire_within_the_hour_and_google_auth_refreshes_them(
    sandbox: Any,
) -> None:
    youtube, http = youtube_client(sandbox.base_url, oauth=True)
    video = campaign_posts(sandbox, "youtube")[0].native_id
    body = {
        "snippet": {
            "playlistId": YOUTUBE_PLAYLIST_ID,
            "resourceId": {"kind": "youtube#video", "videoId": video},
        }
    }
    youtube.playlistItems().insert(part="snippet", body=body).execute()
    issued = set(sandbox.state.oauth_tokens)
    control(sandbox.base_url, "clock", {"advance": 3600})  # the access token has expired
    youtube.playlistItems().insert(part="snippet", body=body).execute()
    assert [e.status for e in http.exchanges] == [200, 401, 200]  # refused, refreshed, retried
    assert set(sandbox.state.oauth_tokens) - issued

    bare = requests.post(
        f"{sandbox.base_url}/youtube/v3/playlistItems?part=snippet",
        json=body,
        headers={"Authorization": "Bearer ya29.never-issued"},
        timeout=10,
    )
    assert bare.status_code == 401
    assert bare.json()["error"]["errors"][0]["reason"] == "authError"


def test_a_comment_needs_the_force_ssl_scope(sandbox: Any) -> None:
    """commentThreads.insert lists youtube.force-ssl alone under Authorization
    (developers.google.com/youtube/v3/docs/commentThreads/insert); playlist writes take
    youtube or youtube.force-ssl."""
    auth = "https://www.googleapis.com/auth/"
    video = campaign_posts(sandbox, "youtube")[0].native_id
    body = {
        "snippet": {
            "videoId": video,
            "topLevelComment": {"snippet": {"textOriginal": "Would you sign our form?"}},
        }
    }
    narrow, _ = youtube_client(sandbox.base_url, oauth=True, scopes=[auth + "youtube"])
    with pytest.raises(HttpError) as refused:
        narrow.commentThreads().insert(part="snippet", body=body).execute()
    assert refused.value.resp.status == 403
    assert refused.value.error_details[0]["reason"] == "insufficientPermissions"
    assert stats(sandbox.base_url)["replies"].get("youtube", 0) == 0

    forced, _ = youtube_client(sandbox.base_url, oauth=True, scopes=[auth + "youtube.force-ssl"])
    thread = forced.commentThreads().insert(part="snippet", body=body).execute()
    assert thread["snippet"]["videoId"] == video
    assert stats(sandbox.base_url)["replies"]["youtube"] == 1
    item = {
        "snippet": {
            "playlistId": YOUTUBE_PLAYLIST_ID,
            "resourceId": {"kind": "youtube#video", "videoId": video},
        }
    }
    assert forced.playlistItems().insert(part="snippet", body=item).execute()["id"]
