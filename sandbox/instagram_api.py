"""Instagram as instaloader 4.16 reaches it: tag web_info, the GraphQL hashtag query.

Anonymous calls get 403 login_required, as Instagram answers them: a session is needed.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.server import Request, Response, SandboxState, error
from sandbox.world import WorldPost, shortcode

PAGE = 12
# Post.from_shortcode in instaloader 4.16 (structures.Post._obtain_metadata): a POST to
# graphql/query with this doc_id and {"shortcode": ...}; the answer's
# data.xdt_api__v1__media__shortcode__web_info.items holds the post, none when it is gone.
POST_DOC_ID = "27128499623469141"


def _logged_in(req: Request) -> bool:
    cookies = req.headers.get("cookie", "")
    return any(
        part.strip().startswith("sessionid=") and part.strip() != "sessionid="
        for part in cookies.split(";")
    ) or req.headers.get("authorization", "").startswith("Bearer IGT")


def handle(state: SandboxState, req: Request) -> Response:
    if not _logged_in(req):
        return error(403, {"message": "login_required", "status": "fail"})
    if req.path.startswith("/api/v1/tags/web_info"):
        tag = (req.arg("tag_name") or "").lower()
        posts = _tagged(state, tag)
        return Response(
            200,
            {
                "status": "ok",
                "data": {
                    "id": str(17_841_560_000_000_000 + len(tag)),
                    "name": tag,
                    "media_count": len(posts),
                    "profile_pic_url": "https://scontent.cdninstagram.com/tag.jpg",
                    "is_following": False,
                    "allow_following": True,
                    "top": {"sections": [], "more_available": False},
                    "recent": {"sections": [], "more_available": False},
                },
            },
        )
    if req.path.startswith("/graphql/query") and req.param("doc_id") == POST_DOC_ID:
        variables = json.loads(req.param("variables") or "{}")
        return _post_by_shortcode(state, str(variables.get("shortcode", "")))
    if req.path.startswith("/graphql/query"):
        variables = json.loads(req.arg("variables") or "{}")
        return _hashtag_page(state, variables)
    return error(404, {"message": "Page not found", "status": "fail"})


def _tagged(state: SandboxState, tag: str) -> list[WorldPost]:
    def build() -> list[WorldPost]:
        found = [
            p
            for p in state.world.posts
            if p.platform == "instagram" and f"#{tag}" in p.text.lower()
        ]
        return sorted(found, key=lambda p: int(p.native_id), reverse=True)

    return state.cached(("ig-tag", tag), build)  # type: ignore[no-any-return]


def node(state: SandboxState, post: WorldPost) -> dict[str, Any]:
    person = state.world.people[post.person]
    return {
        "__typename": "GraphVideo" if post.is_video else "GraphImage",
        "id": post.native_id,
        "shortcode": shortcode(post.native_id),
        "is_video": post.is_video,
        "video_duration": post.duration,
        "display_url": f"https://scontent.cdninstagram.com/{post.native_id}.jpg",
        "taken_at_timestamp": int(post.published_at.timestamp()),
        "edge_media_to_caption": {"edges": [{"node": {"text": post.text}}]},
        "edge_liked_by": {"count": 5},
        "edge_media_preview_like": {"count": 5},
        "edge_media_to_comment": {"count": 0},
        "comments_disabled": False,
        "dimensions": {"height": 1080, "width": 1080},
        "owner": {"id": person.ids["instagram"], "username": person.handles["instagram"]},
        "accessibility_caption": None,
    }


def _hashtag_page(state: SandboxState, variables: dict[str, Any]) -> Response:
    tag = str(variables.get("tag_name", "")).lower()
    first = int(variables.get("first") or PAGE)
    after = variables.get("after")
    posts = [p for p in _tagged(state, tag) if p.state == "available"]
    if after:
        posts = [p for p in posts if int(p.native_id) < int(after)]
    page, more = posts[:first], len(posts) > first
    return Response(
        200,
        {
            "status": "ok",
            "data": {
                "hashtag": {
                    "name": tag,
                    "edge_hashtag_to_media": {
                        "count": len(_tagged(state, tag)),
                        "page_info": {
                            "has_next_page": more,
                            "end_cursor": page[-1].native_id if more else None,
                        },
                        "edges": [{"node": node(state, p)} for p in page],
                    },
                }
            },
        },
    )


def _post_by_shortcode(state: SandboxState, code: str) -> Response:
    """One post by its shortcode, as the web app's media query answers (no items: gone)."""
    found = next(
        (
            p
            for p in state.world.posts
            if p.platform == "instagram" and shortcode(p.native_id) == code
        ),
        None,
    )
    items = [] if found is None or found.state != "available" else [_media(state, found)]
    return Response(
        200, {"status": "ok", "data": {"xdt_api__v1__media__shortcode__web_info": {"items": items}}}
    )


def _media(state: SandboxState, post: WorldPost) -> dict[str, Any]:
    """A post in the mobile API's shape (shared/conformance/instagram-instaloader.md, MEDIA)."""
    person = state.world.people[post.person]
    media: dict[str, Any] = {
        "pk": post.native_id,
        "code": shortcode(post.native_id),
        "media_type": 2 if post.is_video else 1,
        "taken_at": int(post.published_at.timestamp()),
        "caption": {"text": post.text},
        "like_count": 5,
        "comment_count": 0,
        "image_versions2": {
            "candidates": [
                {
                    "url": f"https://scontent.cdninstagram.com/{post.native_id}.jpg",
                    "width": 1080,
                    "height": 1080,
                }
            ]
        },
        "user": {
            "pk": person.ids["instagram"],
            "username": person.handles["instagram"],
            "full_name": person.full_name,
            "is_private": False,
        },
    }
    if post.is_video:
        media["video_versions"] = [
            {"url": f"https://scontent.cdninstagram.com/{post.native_id}.mp4"}
        ]
        media["video_duration"] = post.duration
    return media
