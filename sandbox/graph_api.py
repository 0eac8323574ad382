"""Meta Graph API: IG hashtag search and reels publishing, the FB Page's tagged posts and feed."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox import graph_fields, instagram_graph
from sandbox.constants import FACEBOOK_PAGE_ID, FACEBOOK_PAGE_USERNAME, IG_USER_ID
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


def _refused(found: graph_fields.Refusal) -> Response:
    return error(
        400,
        {
            "error": {
                "message": found.message,
                "type": "OAuthException",
                "code": found.code,
                "fbtrace_id": "AsandboxFields",
            }
        },
    )


def _fields_refused(
    req: Request, node: str, known: frozenset[str], deprecated: tuple[str, ...] = ()
) -> Response | None:
    found = graph_fields.refusal(req.arg("fields"), node, known, deprecated)
    return _refused(found) if found is not None else None


def _pick(item: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """Graph answers only the fields asked for (and the id), each only where it has one."""
    if not fields:
        return {k: item[k] for k in ("id", "message", "created_time") if k in item}
    out = {"id": item["id"]} if "id" in item else {}
    for part in graph_fields.top_level(fields):
        name = part.split("{", 1)[0].split(".", 1)[0].strip()
        if name not in item:
            continue
        value = item[name]
        if "{" in part and isinstance(value, dict) and isinstance(value.get("data"), list):
            inner = part[part.index("{") + 1 : -1]
            asked = {p.split("{", 1)[0].strip() for p in graph_fields.top_level(inner)}
            value = {"data": [{k: v for k, v in a.items() if k in asked} for a in value["data"]]}
        out[name] = value
    return out


def handle(state: SandboxState, req: Request) -> Response:
    parts = [p for p in req.path.split("/") if p]
    if parts and parts[0].startswith("v") and len(parts) == 1 and req.method == "GET":
        if not (
            req.param("access_token") or req.headers.get("authorization", "").startswith("Bearer ")
        ):
            return _oauth(
                "An active access token must be used to query information about the current user.",
                code=2500,
            )
        return _by_ids(state, req)
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
    if state.published["graph-token"].get("rights_lost"):
        # a Page token that lost its rights (the app removed from the Page, a role taken
        # away) cannot load anything of the Page's: Meta answers 100/33 for a media and for
        # the account alike (recorded: github.com/jstolpe/blog_code/issues/4), the same
        # words as for an object that does not exist
        return _missing(rest[0], m.lower())
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
        refused = _fields_refused(req, "Post", graph_fields.POST, graph_fields.POST_DEPRECATED_V3_3)
        if refused is not None:
            return refused
        posts = list(state.published["facebook"].values())[::-1]
        return Response(200, {"data": [_pick(p, req.arg("fields")) for p in posts[:100]]})
    if len(rest) == 1 and m == "DELETE":
        for store in ("facebook", "instagram"):
            if state.published[store].pop(rest[0], None) is not None:
                return Response(200, {"success": True})
        return _missing(rest[0], "delete")
    if len(rest) == 1 and m == "GET":
        return _object(state, req, rest[0])
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


def _video_id(post: WorldPost) -> str:
    return post.native_id.split("_")[1]


def _tagged_item(post: WorldPost) -> dict[str, Any]:
    """A Post node as the tagged edge gives it to the Page's token. No `from`: "For user
    posts, the from field will only be returned if the user making the request is the same
    user who created the post" (developers.facebook.com/docs/graph-api/reference/page/tagged,
    Limitations); every post in the world is a person's, none the Page's own."""
    item: dict[str, Any] = {
        "id": post.native_id,
        "message": post.text,
        "created_time": post.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "permalink_url": f"https://www.facebook.com/{post.native_id.replace('_', '/posts/')}",
    }
    if post.is_video:
        # a StoryAttachment has no length: the Video node has (reference/story-attachment,
        # reference/video); shape as in shared/realworld/facebook/ feed pages
        watch = f"https://www.facebook.com/watch/?v={_video_id(post)}"
        item["attachments"] = {
            "data": [
                {
                    "media_type": "video",
                    "type": "video_inline",
                    "url": watch,
                    "unshimmed_url": watch,
                    "target": {"id": _video_id(post), "url": watch},
                    "media": {
                        "image": {"height": 720, "src": "https://scontent.xx.fbcdn.net/t.jpg"},
                        "source": "https://video.xx.fbcdn.net/v.mp4",
                    },
                }
            ]
        }
    return item


def _videos(state: SandboxState) -> dict[str, WorldPost]:
    return state.cached(  # type: ignore[no-any-return]
        "facebook-videos",
        lambda: {
            _video_id(p): p for p in state.world.posts if p.platform == "facebook" and p.is_video
        },
    )


def _video(post: WorldPost) -> dict[str, Any]:
    return {
        "id": _video_id(post),
        "length": float(post.duration or 0),
        "created_time": post.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "permalink_url": f"/watch/?v={_video_id(post)}",
    }


def _by_ids(state: SandboxState, req: Request) -> Response:
    """GET /{version}/?ids=a,b&fields=…: several nodes in one call, keyed by id
    (developers.facebook.com/docs/graph-api/using-graph-api, "Multiple ID read requests");
    one id that cannot be read fails the whole request."""
    ids = [i for i in (req.arg("ids") or "").split(",") if i]
    if not ids:
        return error(
            400,
            {
                "error": {
                    "message": "Unsupported request",
                    "type": "GraphMethodException",
                    "code": 100,
                }
            },
        )
    refused = _fields_refused(req, "Video", graph_fields.VIDEO)
    if refused is not None:
        return refused
    videos = _videos(state)
    missing = [i for i in ids if i not in videos or videos[i].state != "available"]
    if missing:
        return _missing(missing[0])
    return Response(200, {i: _pick(_video(videos[i]), req.arg("fields")) for i in ids})


def _tagged(state: SandboxState, req: Request, version: str) -> Response:
    refused = _fields_refused(req, "Post", graph_fields.POST, graph_fields.POST_DEPRECATED_V3_3)
    if refused is not None:
        return refused
    if state.replay.get("facebook"):  # real recorded feed pages instead of the world
        from sandbox.replay import facebook_page

        query = {k: v[0] for k, v in req.query.items() if k != "after"}
        here = f"{req.base_url}/{version}/{FACEBOOK_PAGE_ID}/tagged?{urlencode(query)}"
        recorded, paging = facebook_page(state.replay["facebook"], req.arg("after"), here)
        answer: dict[str, Any] = {"data": [_pick(item, req.arg("fields")) for item in recorded]}
        if paging:
            answer["paging"] = paging
        return Response(200, answer)
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
    fields = req.arg("fields")
    data = [_pick(_tagged_item(post), fields) for post in page]
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
    link = req.param("link") or ""
    store[post_id] = {
        "id": post_id,
        "message": req.param("message"),
        # a Page post's link is read back from its attachment (the `link` field of /feed
        # is deprecated since v3.3: reference/post, Limitations); `url` is Facebook's
        # l.facebook.com shim of it, `unshimmed_url` the link itself (reference/story-attachment)
        "attachments": {
            "data": [
                {
                    "type": "share",
                    "media_type": "link",
                    "url": f"https://l.facebook.com/l.php?{urlencode({'u': link, 'h': 'AT0s'})}",
                    "unshimmed_url": link,
                    "target": {"url": link},
                }
            ]
        },
        "from": {"id": FACEBOOK_PAGE_ID, "name": FACEBOOK_PAGE_USERNAME},
        "permalink_url": f"https://www.facebook.com/{post_id.replace('_', '/posts/')}",
        "created_time": state.now().strftime("%Y-%m-%dT%H:%M:%S+0000"),
    }
    return Response(200, {"id": post_id})


def _object(state: SandboxState, req: Request, object_id: str) -> Response:
    if object_id in (FACEBOOK_PAGE_ID, IG_USER_ID):  # the campaign's own Page and account
        return Response(200, {"id": object_id})
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
    if object_id in state.published["facebook"]:
        refused = _fields_refused(req, "Post", graph_fields.POST, graph_fields.POST_DEPRECATED_V3_3)
        if refused is not None:
            return refused
        return Response(200, _pick(state.published["facebook"][object_id], req.arg("fields")))
    if object_id in state.published["instagram"]:
        return Response(200, state.published["instagram"][object_id])
    if object_id in _videos(state) and _videos(state)[object_id].state == "available":
        refused = _fields_refused(req, "Video", graph_fields.VIDEO)
        if refused is not None:
            return refused
        return Response(200, _pick(_video(_videos(state)[object_id]), req.arg("fields")))
    return _missing(object_id)
