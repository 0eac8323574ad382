"""YouTube Data API v3 comments as googleapiclient calls them: commentThreads.list/insert
and comments.list/insert (developers.google.com/youtube/v3/docs/commentThreads/insert:
POST /youtube/v3/commentThreads?part=snippet with snippet.videoId and
snippet.topLevelComment.snippet.textOriginal, 50 quota units, OAuth; a reply to a comment
goes through comments.insert with snippet.parentId). Quota and auth are checked by
youtube_api.handle before these run."""

from __future__ import annotations

import hashlib
from typing import Any

from sandbox.server import Request, Response, SandboxState, error

# the campaign's own channel (the playlist owner's): what an OAuth call acts as
CAMPAIGN_CHANNEL_ID = "UCstorydeskCampaign0000001"
OTHER_CHANNEL_ID = "UCsomeoneElse000000000001"


def _etag(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:27]


def _comment(c: dict[str, Any]) -> dict[str, Any]:
    snippet = {
        "channelId": c["channel"],
        "videoId": c["video"],
        "textDisplay": c["text"],
        "textOriginal": c["text"],
        "authorDisplayName": c["author_name"],
        "authorChannelUrl": f"http://www.youtube.com/channel/{c['author']}",
        "authorChannelId": {"value": c["author"]},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": c["at"],
        "updatedAt": c["at"],
    }
    if c.get("parent"):
        snippet["parentId"] = c["parent"]
    return {"kind": "youtube#comment", "etag": _etag(c["id"]), "id": c["id"], "snippet": snippet}


def _thread(state: SandboxState, c: dict[str, Any]) -> dict[str, Any]:
    replies = [r for r in state.replies["youtube"] if r.get("parent") == c["id"]]
    return {
        "kind": "youtube#commentThread",
        "etag": _etag(c["id"], len(replies)),
        "id": c["id"],
        "snippet": {
            "channelId": c["channel"],
            "videoId": c["video"],
            "topLevelComment": _comment(c),
            "canReply": True,
            "totalReplyCount": len(replies),
            "isPublic": True,
        },
    }


def _video(state: SandboxState, video_id: str) -> Any:
    for post in state.world.posts:
        if post.platform == "youtube" and post.native_id == video_id:
            return post
    return None


def add_comment(
    state: SandboxState, video_id: str, author: str, author_name: str, text: str, parent: str = ""
) -> dict[str, Any] | None:
    post = _video(state, video_id)
    if post is None:
        return None
    number = len(state.replies["youtube"])
    comment = {
        "id": f"Ugz{number:08d}sandbox" + (f".{parent}" if parent else ""),
        "video": video_id,
        "channel": state.world.people[post.person].ids["youtube"],
        "author": author,
        "author_name": author_name,
        "text": text,
        "parent": parent,
        "at": state.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    state.replies["youtube"].append(comment)
    return comment


def _bad(message: str, reason: str = "invalidValue") -> Response:
    return error(
        400,
        {
            "error": {
                "code": 400,
                "message": message,
                "errors": [
                    {"message": message, "domain": "youtube.commentThread", "reason": reason}
                ],
                "status": "INVALID_ARGUMENT",
            }
        },
    )


def handle(state: SandboxState, req: Request, method: str) -> Response:
    if method == "commentThreads.insert":
        body = req.json() or {}
        snippet = body.get("snippet") or {}
        video_id = str(snippet.get("videoId") or "")
        text = str(
            ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal") or ""
        )
        if not text:
            return _bad("The comment's text is empty.", "commentTextRequired")
        if len(text) > 10_000:
            return _bad("The comment's text is too long.", "commentTextTooLong")
        if _video(state, video_id) is None:
            return error(
                404,
                {
                    "error": {
                        "code": 404,
                        "message": "The video identified by the videoId parameter could not be found.",
                        "errors": [
                            {
                                "message": "The video could not be found.",
                                "domain": "youtube.commentThread",
                                "reason": "videoNotFound",
                            }
                        ],
                    }
                },
            )
        comment = add_comment(state, video_id, CAMPAIGN_CHANNEL_ID, "UNESCO", text)
        assert comment is not None
        state.reply_counts["youtube"] += 1
        return Response(200, _thread(state, comment))
    if method == "commentThreads.list":
        video_id = req.arg("videoId") or ""
        terms = (req.arg("searchTerms") or "").lower()
        items = [
            _thread(state, c)
            for c in state.replies["youtube"]
            if c["video"] == video_id and not c["parent"] and terms in c["text"].lower()
        ]
        size = int(req.arg("maxResults") or 20)
        return Response(
            200,
            {
                "kind": "youtube#commentThreadListResponse",
                "etag": _etag(video_id, len(items)),
                "pageInfo": {"totalResults": len(items[:size]), "resultsPerPage": size},
                "items": items[:size],
            },
        )
    if method == "comments.list":
        parent = req.arg("parentId") or ""
        items = [_comment(c) for c in state.replies["youtube"] if c["parent"] == parent]
        return Response(
            200,
            {
                "kind": "youtube#commentListResponse",
                "etag": _etag(parent, len(items)),
                "pageInfo": {"totalResults": len(items), "resultsPerPage": 100},
                "items": items[:100],
            },
        )
    return error(405, {"error": {"code": 405, "message": "Method not allowed"}})
