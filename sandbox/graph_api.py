"""Meta Graph API: IG hashtag search and reels publishing, the FB Page's tagged posts and feed."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox import instagram_graph
from sandbox.constants import FACEBOOK_PAGE_ID, IG_USER_ID
from sandbox.server import Request, Response, SandboxState, error
from sandbox.world import WorldPost, shortcode


def _oauth(message: str, code: int = 190, status: int = 400) -> Response:
    trace = hashlib.md5(message.encode()).hexdigest()[:11]  # noqa: S324 - not security
    return error(
        status,
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": trace,
            }
        },
    )


def _missing(object_id: str, method: str = "get") -> Response:
    # recorded answers: github.com/roughike/flutter_facebook_login/issues/44 (a GET: code 100,
    # subcode 33), github.com/SpottedBot/SpottedBot/issues/30 (a post deleted twice)
    return error(
        400,
        {
            "error": {
                "message": f"Unsupported {method} request. Object with ID '{object_id}'"
                " does not exist, cannot be loaded due to missing permissions, or "
                "does not support this operation.",
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
                "fbtrace_id": "AbCdEf",
            }
        },
    )


def handle(state: SandboxState, req: Request) -> Response:
    parts = [p for p in req.path.split("/") if p]
    if len(parts) < 2 or not parts[0].startswith("v"):
        return error(404, {"error": {"message": "Unknown path", "code": 803}})
    if not (
        req.param("access_token") or req.headers.get("authorization", "").startswith("Bearer ")
    ):
        return _oauth(
            "An active access token must be used to query information about the current user.",
            code=2500,
        )
    version, rest = parts[0], parts[1:]
    m = req.method
    if m == "GET" and rest == ["ig_hashtag_search"]:
        return instagram_graph.hashtag_search(state, req, IG_USER_ID)
    if m == "GET" and len(rest) == 2 and rest[1] == "recent_media":
        return _recent_media(state, req, version, rest[0])
    if m == "GET" and rest == [FACEBOOK_PAGE_ID, "tagged"]:
        return _tagged(state, req, version)
    if rest[:1] == [IG_USER_ID] and len(rest) == 2:
        found = _ig_user_edge(state, req, m, rest[1])
        if found is not None:
            return found
    if m == "POST" and rest == [FACEBOOK_PAGE_ID, "feed"]:
        return _page_post(state, req)
    if m == "GET" and rest == [FACEBOOK_PAGE_ID, "feed"]:
        posts = list(state.published["facebook"].values())[::-1]
        return Response(200, {"data": posts[:100]})
    if len(rest) == 1 and m == "DELETE":
        for store in ("facebook", "instagram"):
            if state.published[store].pop(rest[0], None) is not None:
                return Response(200, {"success": True})
        return _missing(rest[0], "delete")
    if len(rest) == 1 and m == "GET":
        return _object(state, rest[0])
    return error(
        400,
        {"error": {"message": "Unsupported request", "type": "GraphMethodException", "code": 100}},
    )


def _recent_media(state: SandboxState, req: Request, version: str, hashtag_id: str) -> Response:
    tag = state.published["ig-hashtags"].get(hashtag_id)
    if tag is None:
        return _missing(hashtag_id)
    since = state.now() - timedelta(hours=24)
    posts = sorted(
        (
            p
            for p in state.world.posts
            if p.platform == "instagram"
            and p.state == "available"
            and f"#{tag}" in p.text.lower()
            and p.published_at >= since
        ),
        key=lambda p: int(p.native_id),
        reverse=True,
    )
    after = req.arg("after")
    if after:
        posts = [p for p in posts if int(p.native_id) < int(after)]
    limit = min(int(req.arg("limit") or 25), 50)
    page = posts[:limit]
    body: dict[str, Any] = {"data": [_ig_media(p) for p in page]}
    if page:
        body["paging"] = {"cursors": {"before": page[0].native_id, "after": page[-1].native_id}}
        if len(posts) > limit:
            query = {k: v[0] for k, v in req.query.items()} | {"after": page[-1].native_id}
            body["paging"]["next"] = (
                f"{req.base_url}/{version}/{hashtag_id}/recent_media?{urlencode(query)}"
            )
    return Response(200, body)


def _ig_media(post: WorldPost) -> dict[str, Any]:
    return {
        "id": post.native_id,
        "media_type": "VIDEO" if post.is_video else "IMAGE",
        "caption": post.text,
        "permalink": f"https://www.instagram.com/p/{shortcode(post.native_id)}/",
        "media_url": f"https://scontent.cdninstagram.com/{post.native_id}.mp4",
        "timestamp": post.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "comments_count": 0,
        "like_count": 5,
    }


def _tagged(state: SandboxState, req: Request, version: str) -> Response:
    since = int(req.arg("since") or 0)
    until = int(req.arg("until") or 0) or None
    posts = sorted(
        (
            p
            for p in state.world.posts
            if p.platform == "facebook"
            and p.state == "available"
            and p.published_at.timestamp() > since
            and (until is None or p.published_at.timestamp() < until)
        ),
        key=lambda p: p.published_at,
        reverse=True,
    )
    after = req.arg("after")
    if after:
        idx = next((i for i, p in enumerate(posts) if p.native_id == after), -1)
        posts = posts[idx + 1 :]
    limit = min(int(req.arg("limit") or 25), 100)
    page = posts[:limit]
    data = []
    for post in page:
        person = state.world.people[post.person]
        item: dict[str, Any] = {
            "id": post.native_id,
            "message": post.text,
            "created_time": post.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink_url": f"https://www.facebook.com/{post.native_id.replace('_', '/posts/')}",
            "from": {"id": person.ids["facebook"], "name": person.full_name},
        }
        if post.is_video:
            item["attachments"] = {
                "data": [
                    {
                        "media_type": "video",
                        "type": "video_inline",
                        "url": f"https://www.facebook.com/watch/?v={post.native_id.split('_')[1]}",
                        "target": {"id": post.native_id.split("_")[1]},
                        "media": {"source": "https://video.xx.fbcdn.net/v.mp4"},
                        "video_duration": post.duration,
                    }
                ]
            }
        data.append(item)
    body: dict[str, Any] = {"data": data}
    if page:
        body["paging"] = {"cursors": {"before": page[0].native_id, "after": page[-1].native_id}}
        if len(posts) > limit:
            query = {k: v[0] for k, v in req.query.items()} | {"after": page[-1].native_id}
            body["paging"]["next"] = (
                f"{req.base_url}/{version}/{FACEBOOK_PAGE_ID}/tagged?{urlencode(query)}"
            )
    return Response(200, body)


def _ig_user_edge(state: SandboxState, req: Request, method: str, edge: str) -> Response | None:
    """The campaign's Instagram account: reels publishing and its own media."""
    if method == "POST" and edge == "media":
        return instagram_graph.create_container(state, req)
    if method == "POST" and edge == "media_publish":
        return instagram_graph.publish_container(state, req)
    if method == "GET" and edge == "content_publishing_limit":
        return instagram_graph.publishing_limit(state, req)
    if method == "GET" and edge == "media":
        return instagram_graph.own_media(state, req)
    return None


def _page_post(state: SandboxState, req: Request) -> Response:
    store = state.published["facebook"]
    post_id = f"{FACEBOOK_PAGE_ID}_{3_000_000_000_000 + len(state.writes)}"
    store[post_id] = {
        "id": post_id,
        "message": req.param("message"),
        "link": req.param("link"),
        "created_time": state.now().strftime("%Y-%m-%dT%H:%M:%S+0000"),
    }
    return Response(200, {"id": post_id})


def _object(state: SandboxState, object_id: str) -> Response:
    container = state.published["ig-containers"].get(object_id)
    if container is not None:
        container["polls"] += 1
        status = (
            "PUBLISHED"
            if container["published"]
            else ("FINISHED" if container["polls"] > 1 else "IN_PROGRESS")
        )
        return Response(
            200, {"id": object_id, "status_code": status, "status": f"{status}: sandbox"}
        )
    for store in ("facebook", "instagram"):
        if object_id in state.published[store]:
            return Response(200, state.published[store][object_id])
    return _missing(object_id)
