"""Meta Graph, LinkedIn and TikTok have no client library here: requests against the
sandbox, on the paths, parameters and headers the platforms document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests

from platforms.linkedin import LinkedInPublish
from sandbox.constants import FACEBOOK_PAGE_ID, GRAPH_VERSION, IG_USER_ID, LINKEDIN_AUTHOR
from tests.sandbox.support import control, stats

TOKEN = {"access_token": "sandbox-graph-token"}
MEDIA_FIELDS = "id,media_type,caption,permalink,media_url,timestamp,comments_count,like_count"


def graph(base_url: str) -> str:
    return f"{base_url}/{GRAPH_VERSION}"


def test_page_tagged_posts_follow_paging_next(sandbox: Any) -> None:
    expected = [
        p.native_id
        for p in sorted(sandbox.state.world.posts, key=lambda p: p.published_at, reverse=True)
        if p.platform == "facebook"
    ]
    url: str | None = f"{graph(sandbox.base_url)}/{FACEBOOK_PAGE_ID}/tagged"
    params: dict[str, Any] | None = {**TOKEN, "limit": 5, "fields": "id,message,created_time"}
    seen: list[str] = []
    while url:
        answer = requests.get(url, params=params, timeout=10)
        assert answer.status_code == 200
        body = answer.json()
        seen += [item["id"] for item in body["data"]]
        assert all(item["created_time"].endswith("+0000") for item in body["data"])
        url, params = body.get("paging", {}).get("next"), None  # next carries every parameter
    assert seen == expected


def test_graph_needs_an_access_token(sandbox: Any) -> None:
    answer = requests.get(f"{graph(sandbox.base_url)}/{FACEBOOK_PAGE_ID}/tagged", timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "OAuthException"


def test_instagram_hashtag_search_and_recent_media(sandbox: Any) -> None:
    control(sandbox.base_url, "posts", {"count": 12, "platform": "instagram"})
    day_ago = sandbox.state.now() - timedelta(hours=24)
    expected = {
        p.native_id
        for p in sandbox.state.world.posts
        if p.platform == "instagram"
        and "#learningneverstops" in p.text.lower()
        and p.published_at >= day_ago
    }
    found = requests.get(
        f"{graph(sandbox.base_url)}/ig_hashtag_search",
        params={**TOKEN, "user_id": IG_USER_ID, "q": "LearningNeverStops"},
        timeout=10,
    ).json()
    hashtag_id = found["data"][0]["id"]
    recent = requests.get(
        f"{graph(sandbox.base_url)}/{hashtag_id}/recent_media",
        params={**TOKEN, "user_id": IG_USER_ID, "fields": MEDIA_FIELDS},
        timeout=10,
    ).json()
    for item in recent["data"]:
        assert item["media_type"] in ("VIDEO", "IMAGE")
        assert "username" not in item  # the hashtag API never says who posted
        assert "#learningneverstops" in item["caption"].lower()
    assert {item["id"] for item in recent["data"]} == expected and expected


def test_reels_container_status_then_publish(sandbox: Any) -> None:
    base = graph(sandbox.base_url)
    container = requests.post(
        f"{base}/{IG_USER_ID}/media",
        data={
            **TOKEN,
            "media_type": "REELS",
            "video_url": f"{sandbox.base_url}/__sandbox__/files/R10001.mp4",
            "caption": "Learning never stops #LearningNeverStops",
        },
        timeout=10,
    ).json()["id"]

    early = requests.post(
        f"{base}/{IG_USER_ID}/media_publish", data={**TOKEN, "creation_id": container}, timeout=10
    )
    assert early.status_code == 400 and early.json()["error"]["code"] == 9007

    statuses = []
    for _ in range(5):
        status = requests.get(
            f"{base}/{container}", params={**TOKEN, "fields": "status_code,status"}, timeout=10
        ).json()["status_code"]
        statuses.append(status)
        if status == "FINISHED":
            break
    assert statuses[-1] == "FINISHED" and set(statuses) <= {"IN_PROGRESS", "FINISHED"}

    published = requests.post(
        f"{base}/{IG_USER_ID}/media_publish", data={**TOKEN, "creation_id": container}, timeout=10
    )
    assert published.status_code == 200
    media_id = published.json()["id"]
    limit = requests.get(
        f"{base}/{IG_USER_ID}/content_publishing_limit",
        params={**TOKEN, "fields": "config,quota_usage"},
        timeout=10,
    ).json()
    assert limit["data"][0]["quota_usage"] == 1

    deleted = requests.delete(f"{base}/{media_id}", params=TOKEN, timeout=10)
    assert deleted.json() == {"success": True}
    assert requests.get(f"{base}/{media_id}", params=TOKEN, timeout=10).status_code == 400


def test_page_feed_post_and_delete(sandbox: Any) -> None:
    base = graph(sandbox.base_url)
    post = requests.post(
        f"{base}/{FACEBOOK_PAGE_ID}/feed",
        data={**TOKEN, "message": "Learning never stops", "link": "https://example.org/g/1"},
        timeout=10,
    ).json()
    assert post["id"].startswith(f"{FACEBOOK_PAGE_ID}_")
    feed = requests.get(f"{base}/{FACEBOOK_PAGE_ID}/feed", params=TOKEN, timeout=10).json()
    assert [p["id"] for p in feed["data"]] == [post["id"]]
    assert requests.delete(f"{base}/{post['id']}", params=TOKEN, timeout=10).json() == {
        "success": True
    }


LINKEDIN = {
    "Authorization": "Bearer sandbox-linkedin",
    "LinkedIn-Version": LinkedInPublish.model_fields["version"].default,
    "X-Restli-Protocol-Version": "2.0.0",
}


def test_linkedin_post_answers_201_with_the_urn_in_a_header(sandbox: Any) -> None:
    body = {
        "author": LINKEDIN_AUTHOR,
        "commentary": "Learning never stops",
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
    }
    created = requests.post(
        f"{sandbox.base_url}/rest/posts", json=body, headers=LINKEDIN, timeout=10
    )
    assert created.status_code == 201 and created.content == b""
    urn = created.headers["x-restli-id"]
    assert urn.startswith("urn:li:share:")

    quoted = requests.utils.quote(urn, safe="")
    read = requests.get(f"{sandbox.base_url}/rest/posts/{quoted}", headers=LINKEDIN, timeout=10)
    assert read.json()["commentary"] == "Learning never stops"
    gone = requests.delete(f"{sandbox.base_url}/rest/posts/{quoted}", headers=LINKEDIN, timeout=10)
    assert gone.status_code == 204
    again = requests.get(f"{sandbox.base_url}/rest/posts/{quoted}", headers=LINKEDIN, timeout=10)
    assert again.status_code == 404


def test_linkedin_refuses_a_call_without_a_version(sandbox: Any) -> None:
    headers = {k: v for k, v in LINKEDIN.items() if k != "LinkedIn-Version"}
    answer = requests.post(f"{sandbox.base_url}/rest/posts", json={}, headers=headers, timeout=10)
    assert answer.status_code == 426
    assert answer.json()["code"] == "NONEXISTENT_VERSION"


def test_tiktok_pull_from_url_then_status_until_complete(sandbox: Any) -> None:
    base = f"{sandbox.base_url}/v2/post/publish"
    auth = {"Authorization": f"Bearer {tiktok_token(sandbox)}", "Content-Type": "application/json"}
    creator = requests.post(f"{base}/creator_info/query/", headers=auth, timeout=10).json()
    assert creator["error"]["code"] == "ok"
    assert "SELF_ONLY" in creator["data"]["privacy_level_options"]

    init = requests.post(
        f"{base}/video/init/",
        headers=auth,
        json={
            "post_info": {"title": "Learning never stops", "privacy_level": "SELF_ONLY"},
            "source_info": {
                "source": "PULL_FROM_URL",
                "video_url": f"{sandbox.base_url}/__sandbox__/files/R10001.mp4",
            },
        },
        timeout=10,
    ).json()
    publish_id = init["data"]["publish_id"]
    assert init["error"] == {"code": "ok", "message": "", "log_id": init["error"]["log_id"]}

    statuses = []
    for _ in range(5):
        answer = requests.post(
            f"{base}/status/fetch/", headers=auth, json={"publish_id": publish_id}, timeout=10
        ).json()
        statuses.append(answer["data"]["status"])
        if statuses[-1] == "PUBLISH_COMPLETE":
            break
    assert statuses == ["PROCESSING_DOWNLOAD", "PUBLISH_COMPLETE"]

    refused = requests.post(f"{base}/video/init/", json={}, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "access_token_invalid"


def test_state_changing_calls_are_listed_in_stats(sandbox: Any) -> None:
    requests.post(
        f"{graph(sandbox.base_url)}/{FACEBOOK_PAGE_ID}/feed",
        data={**TOKEN, "message": "hello"},
        timeout=10,
    )
    writes = stats(sandbox.base_url)["writes"]
    assert [(w["platform"], w["method"], w["status"]) for w in writes] == [("graph", "POST", 200)]
    assert writes[0]["path"] == f"/{GRAPH_VERSION}/{FACEBOOK_PAGE_ID}/feed"


def test_linkedin_answers_426_to_a_sunset_version_and_cuts_unescaped_little_text(
    sandbox: Any,
) -> None:
    body = {
        "author": LINKEDIN_AUTHOR,
        "commentary": "Amina (Lagos) keeps learning #LearningNeverStops",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED"},
        "lifecycleState": "PUBLISHED",
    }
    old = {**LINKEDIN, "LinkedIn-Version": "202411"}
    sunset = requests.post(f"{sandbox.base_url}/rest/posts", json=body, headers=old, timeout=10)
    assert sunset.status_code == 426 and sunset.json()["code"] == "NONEXISTENT_VERSION"

    cut = requests.post(f"{sandbox.base_url}/rest/posts", json=body, headers=LINKEDIN, timeout=10)
    escaped = {**body, "commentary": r"Amina \(Lagos\) keeps learning #LearningNeverStops"}
    whole = requests.post(
        f"{sandbox.base_url}/rest/posts", json=escaped, headers=LINKEDIN, timeout=10
    )
    stored = sandbox.state.published["linkedin"]
    assert stored[cut.headers["x-restli-id"]]["commentary"] == "Amina "
    assert stored[whole.headers["x-restli-id"]]["commentary"] == escaped["commentary"]


def test_tiktok_inbox_drafts_unaudited_privacy_and_verified_domains(sandbox: Any) -> None:
    base = f"{sandbox.base_url}/v2/post/publish"
    auth = {"Authorization": f"Bearer {tiktok_token(sandbox)}", "Content-Type": "application/json"}
    ours = {"source": "PULL_FROM_URL", "video_url": f"{sandbox.base_url}/__sandbox__/files/R1.mp4"}
    elsewhere = {"source": "PULL_FROM_URL", "video_url": "https://files.example.org/R1.mp4"}

    draft = requests.post(
        f"{base}/inbox/video/init/", headers=auth, json={"source_info": ours}, timeout=10
    ).json()
    publish_id = draft["data"]["publish_id"]
    statuses = [
        requests.post(
            f"{base}/status/fetch/", headers=auth, json={"publish_id": publish_id}, timeout=10
        ).json()["data"]["status"]
        for _ in range(2)
    ]
    assert statuses == ["PROCESSING_DOWNLOAD", "SEND_TO_USER_INBOX"]

    public = {"title": "t", "privacy_level": "PUBLIC_TO_EVERYONE"}
    unaudited = requests.post(
        f"{base}/video/init/", headers=auth, json={"post_info": public, "source_info": ours}
    )
    assert unaudited.status_code == 403
    assert unaudited.json()["error"]["code"] == "unaudited_client_can_only_post_to_private_accounts"

    unverified = requests.post(
        f"{base}/inbox/video/init/", headers=auth, json={"source_info": elsewhere}, timeout=10
    )
    assert unverified.json()["error"]["code"] == "url_ownership_unverified"
    control(
        sandbox.base_url, "tiktok-app", {"audited": True, "verified_domains": ["files.example.org"]}
    )
    audited = requests.post(
        f"{base}/video/init/", headers=auth, json={"post_info": public, "source_info": elsewhere}
    )
    assert audited.status_code == 200


def tiktok_token(sandbox: Any) -> str:
    answer = requests.post(
        f"{sandbox.base_url}/v2/oauth/token/",
        data={
            "client_key": "k",
            "client_secret": "s",
            "grant_type": "refresh_token",
            "refresh_token": "rft.first",
        },
        timeout=10,
    ).json()
    return str(answer["access_token"])
