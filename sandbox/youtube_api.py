"""YouTube Data API v3 as googleapiclient calls it: search, videos, channels, playlistItems.

Quota units are counted per call from a cost table, per Pacific day (the real reset is
midnight America/Los_Angeles); past the budget every call gets 403 quotaExceeded.

Playlist writes need an OAuth access token, and Google's access tokens expire within the hour
(expires_in 3599 from https://oauth2.googleapis.com/token): the sandbox issues tokens from
its own /token (grant_type=refresh_token, as google-auth refreshes) and refuses any token it
did not issue or that has expired, with Google's 401 authError. A token carries the scopes
asked for when it was refreshed (RFC 6749 section 6: a subset of the refresh token's grant;
the sandbox's refresh tokens stand for an owner who granted every YouTube scope), and each
write needs one of the scopes its reference page lists under Authorization, else Google's
403 insufficientPermissions.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.server import Request, Response, SandboxState, error
from sandbox.world import WorldPost

TOKEN_SECONDS = 3599  # what Google's token endpoint says in expires_in

# developers.google.com/youtube/v3/determine_quota_cost (2026): search.list and videos.insert
# have quota buckets of their own, 100 a day each at 1 a call; every other method shares the
# project's 10,000 units a day.
OWN_BUCKETS = {"search": "search.list"}
COSTS = {
    "search": 1,
    "videos": 1,
    "channels": 1,
    "playlistItems.list": 1,
    "playlistItems.insert": 50,
    "playlistItems.delete": 50,
    # developers.google.com/youtube/v3/determine_quota_cost: comments read 1, write 50
    "commentThreads.list": 1,
    "commentThreads.insert": 50,
    "comments.list": 1,
}
PACIFIC = ZoneInfo("America/Los_Angeles")

AUTH = "https://www.googleapis.com/auth/"
YOUTUBE, FORCE_SSL, PARTNER = AUTH + "youtube", AUTH + "youtube.force-ssl", AUTH + "youtubepartner"
GRANTED = frozenset({YOUTUBE, FORCE_SSL, PARTNER, AUTH + "youtube.readonly"})
# the scopes each OAuth write accepts (developers.google.com/youtube/v3/docs/<resource>/<method>,
# "Authorization"): commentThreads.insert and comments.insert take youtube.force-ssl only
NEEDS = {
    "playlistItems.insert": {YOUTUBE, FORCE_SSL, PARTNER},
    "playlistItems.delete": {YOUTUBE, FORCE_SSL, PARTNER},
    "commentThreads.insert": {FORCE_SSL},
    "comments.insert": {FORCE_SSL},
}


def _google_error(
    code: int, message: str, reason: str, domain: str = "global", status: str = "PERMISSION_DENIED"
) -> Response:
    return error(
        code,
        {
            "error": {
                "code": code,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
                "status": status,
            }
        },
    )


def quota_day(state: SandboxState) -> str:
    return state.now().astimezone(PACIFIC).date().isoformat()


def handle(state: SandboxState, req: Request) -> Response:
    resource = req.path.removeprefix("/youtube/v3/").strip("/")
    if not req.arg("key") and not req.headers.get("authorization", "").startswith("Bearer "):
        return _google_error(403, "The request is missing a valid API key.", "forbidden")
    method = resource
    if resource in ("playlistItems", "commentThreads", "comments"):
        method += {"GET": ".list", "POST": ".insert", "DELETE": ".delete"}.get(req.method, "")
        if req.method != "GET" and not req.headers.get("authorization", "").startswith("Bearer "):
            return _google_error(401, "Login Required.", "required", status="UNAUTHENTICATED")
        if req.headers.get("authorization", "").startswith("Bearer ") and not _token_valid(
            state, req.headers["authorization"].removeprefix("Bearer ").strip()
        ):
            return _google_error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
                "authError",
                status="UNAUTHENTICATED",
            )
        token = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if method in NEEDS and not state.oauth_scopes.get(token, frozenset()) & NEEDS[method]:
            return _google_error(
                403, "Request had insufficient authentication scopes.", "insufficientPermissions"
            )
    cost = COSTS.get(method)
    if cost is None:
        return _google_error(404, "Not Found", "notFound", status="NOT_FOUND")
    day = quota_day(state)
    bucket = OWN_BUCKETS.get(method)
    if bucket is not None:
        used, limit = state.quota_buckets[(bucket, day)], state.youtube_search_quota
    else:
        used, limit = state.quota_used[day], state.youtube_daily_quota
    if used + cost > limit:
        return _google_error(
            403,
            "The request cannot be completed because you have exceeded "
            'your <a href="/youtube/v3/getting-started#quota">quota</a>.',
            "quotaExceeded",
            domain="youtube.quota",
        )
    if bucket is not None:
        state.quota_buckets[(bucket, day)] += cost
    else:
        state.quota_used[day] += cost
    if method == "search":
        return search(state, req)
    if method == "videos":
        return videos(state, req)
    if method == "channels":
        return channels(state, req)
    if resource in ("commentThreads", "comments"):
        from sandbox import youtube_comments

        return youtube_comments.handle(state, req, method)
    return playlist_items(state, req, method)


def _token_valid(state: SandboxState, token: str) -> bool:
    expires = state.oauth_tokens.get(token)
    return expires is not None and state.epoch() < expires


def token_endpoint(state: SandboxState, req: Request) -> Response:
    """POST /token: Google's OAuth 2.0 token endpoint, the refresh_token grant only."""
    form = req.form()
    if not form.get("client_id") or not form.get("client_secret"):
        return error(401, {"error": "invalid_client", "error_description": "Unauthorized"})
    if form.get("grant_type") != "refresh_token":
        return error(
            400,
            {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"},
        )
    refresh = form.get("refresh_token") or ""
    if not refresh or refresh in state.revoked_refresh_tokens:
        return error(
            400,
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
        )
    asked = frozenset((form.get("scope") or "").split()) or GRANTED
    if not asked <= GRANTED:
        return error(400, {"error": "invalid_scope", "error_description": "Bad Request"})
    token = f"ya29.sandbox-{len(state.oauth_tokens) + 1}"
    state.oauth_tokens[token] = state.epoch() + TOKEN_SECONDS
    state.oauth_scopes[token] = asked
    return Response(
        200,
        {
            "access_token": token,
            "expires_in": TOKEN_SECONDS,
            "scope": " ".join(sorted(asked)),
            "token_type": "Bearer",
        },
    )


def _etag(*parts: Any) -> str:
    return hashlib.md5(repr(parts).encode()).hexdigest()[:27]  # noqa: S324 - not security


def _time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _videos(state: SandboxState) -> list[WorldPost]:
    return state.cached(
        "yt-videos",
        lambda: sorted(  # type: ignore[no-any-return]
            (p for p in state.world.posts if p.platform == "youtube"),
            key=lambda p: p.published_at,
            reverse=True,
        ),
    )


def _title(post: WorldPost, state: SandboxState) -> str:
    person = state.world.people[post.person]
    return f"{person.first_name}, {person.city}: learning never stops"


def search(state: SandboxState, req: Request) -> Response:
    if state.replay.get("youtube"):  # real recorded videos instead of the world
        from sandbox.replay import youtube_search

        envelope = (state.replay.get("youtube-search") or [{}])[0]
        size = min(int(req.arg("maxResults") or 5), 50)
        return Response(200, youtube_search(state.replay["youtube"], envelope, size))
    terms = [t.strip().lstrip("#").lower() for t in (req.arg("q") or "").split("|") if t.strip()]
    after = req.arg("publishedAfter")
    after_dt = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
    before = req.arg("publishedBefore")
    before_dt = datetime.fromisoformat(before.replace("Z", "+00:00")) if before else None
    size = min(int(req.arg("maxResults") or 5), 50)
    token = req.arg("pageToken")
    start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    key = ("yt-search", tuple(terms), after, before)

    def build() -> list[WorldPost]:
        return [
            p
            for p in _videos(state)
            if p.state == "available"
            and (after_dt is None or p.published_at > after_dt)
            and (before_dt is None or p.published_at < before_dt)
            and (not terms or any(f"#{t}" in p.text.lower() for t in terms))
        ]

    found: list[WorldPost] = state.cached(key, build)
    # A search serves about 500 results at most, however many pages are asked for
    # (pageInfo.totalResults still counts them all): older videos need publishedBefore windows
    cap = state.youtube_search_cap
    page = found[start : min(start + size, cap)]
    items = [
        {
            "kind": "youtube#searchResult",
            "etag": _etag(p.native_id),
            "id": {"kind": "youtube#video", "videoId": p.native_id},
            "snippet": _snippet(state, p, search_result=True),
        }
        for p in page
    ]
    body: dict[str, Any] = {
        "kind": "youtube#searchListResponse",
        "etag": _etag(key, start),
        "regionCode": "US",
        "pageInfo": {"totalResults": len(found), "resultsPerPage": size},
        "items": items,
    }
    if start + size < min(len(found), cap):
        body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return Response(200, body)


def _snippet(state: SandboxState, post: WorldPost, search_result: bool = False) -> dict[str, Any]:
    person = state.world.people[post.person]
    thumb = f"https://i.ytimg.com/vi/{post.native_id}/hqdefault.jpg"
    snippet: dict[str, Any] = {
        "publishedAt": _time(post.published_at),
        "channelId": person.ids["youtube"],
        "title": _title(post, state),
        "description": post.text,
        "thumbnails": {"default": {"url": thumb, "width": 120, "height": 90}},
        "channelTitle": person.full_name,
        "liveBroadcastContent": "none",
    }
    if search_result:
        snippet["publishTime"] = snippet["publishedAt"]
    else:
        snippet["tags"] = [w.lstrip("#") for w in post.text.split() if w.startswith("#")]
        snippet["categoryId"] = "27"
        snippet["defaultAudioLanguage"] = person.language
    return snippet


def _duration(seconds: float | None) -> str:
    total = int(round(seconds or 0))
    minutes, secs = divmod(total, 60)
    return f"PT{minutes}M{secs}S" if minutes else f"PT{secs}S"


def videos(state: SandboxState, req: Request) -> Response:
    ids = [i for i in (req.arg("id") or "").split(",") if i]
    if len(ids) > 50:
        return _google_error(400, "Too many ids", "invalidParameter", status="INVALID_ARGUMENT")
    if state.replay.get("youtube"):
        from sandbox.replay import youtube_list

        parts = set((req.arg("part") or "snippet").split(","))
        return Response(
            200, youtube_list(state.replay["youtube"], ids, parts, "youtube#videoListResponse")
        )
    index = state.cached("yt-index", lambda: {p.native_id: p for p in _videos(state)})
    parts = set((req.arg("part") or "snippet").split(","))
    items = []
    for vid in ids:
        post = index.get(vid)
        if post is None or post.state == "deleted":
            continue  # the real API silently leaves out deleted videos
        item: dict[str, Any] = {"kind": "youtube#video", "etag": _etag(vid), "id": vid}
        if "snippet" in parts:
            item["snippet"] = _snippet(state, post)
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "duration": _duration(post.duration),
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": False,
                "projection": "rectangular",
            }
        if "status" in parts:
            item["status"] = {
                "uploadStatus": "processed",
                "privacyStatus": "private" if post.state == "private" else "public",
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": False,
            }
        items.append(item)
    return Response(
        200,
        {
            "kind": "youtube#videoListResponse",
            "etag": _etag(ids),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        },
    )


def channels(state: SandboxState, req: Request) -> Response:
    ids = [i for i in (req.arg("id") or "").split(",") if i]
    if state.replay.get("youtube"):
        from sandbox.replay import youtube_list

        parts = set((req.arg("part") or "snippet").split(","))
        recorded = state.replay.get("youtube-channels") or []
        return Response(200, youtube_list(recorded, ids, parts, "youtube#channelListResponse"))
    people = state.cached("yt-channels", lambda: {p.ids["youtube"]: p for p in state.world.people})
    items = []
    for cid in ids:
        person = people.get(cid)
        if person is None:
            continue
        items.append(
            {
                "kind": "youtube#channel",
                "etag": _etag(cid),
                "id": cid,
                "snippet": {
                    "title": person.full_name,
                    "description": "",
                    "customUrl": person.handles["youtube"].lower(),
                    "publishedAt": "2018-01-01T00:00:00Z",
                    "thumbnails": {
                        "default": {"url": "https://yt3.ggpht.com/x", "width": 88, "height": 88}
                    },
                    "country": "KE",
                },
            }
        )
    return Response(
        200,
        {
            "kind": "youtube#channelListResponse",
            "etag": _etag(ids),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
        },
    )


def playlist_items(state: SandboxState, req: Request, method: str) -> Response:
    store: dict[str, Any] = state.published["youtube"]
    if method == "playlistItems.insert":
        body = req.json() or {}
        snippet = body.get("snippet") or {}
        video_id = (snippet.get("resourceId") or {}).get("videoId")
        playlist = snippet.get("playlistId")
        if not video_id or not playlist:
            return _google_error(
                400, "Resource id required", "manualSortRequired", status="INVALID_ARGUMENT"
            )
        item_id = base64.urlsafe_b64encode(f"{playlist}.{video_id}".encode()).decode().rstrip("=")
        item = {
            "kind": "youtube#playlistItem",
            "etag": _etag(item_id),
            "id": item_id,
            "snippet": {
                "publishedAt": _time(state.now()),
                "channelId": "UCstorydesk",
                "title": video_id,
                "description": "",
                "channelTitle": "storydesk",
                "playlistId": playlist,
                "position": len(store),
                "resourceId": {"kind": "youtube#video", "videoId": video_id},
            },
        }
        store[item_id] = item
        return Response(200, item)
    if method == "playlistItems.delete":
        item_id = req.arg("id") or ""
        # developers.google.com/youtube/v3/docs/playlistItems/delete (Errors): notFound (404)
        # playlistItemNotFound for an item that is not there
        if store.pop(item_id, None) is None:
            return _google_error(
                404, "Playlist item not found.", "playlistItemNotFound", status="NOT_FOUND"
            )
        return Response(204)
    playlist = req.arg("playlistId")
    size = min(int(req.arg("maxResults") or 5), 50)
    token = req.arg("pageToken")
    start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    found = [i for i in store.values() if i["snippet"]["playlistId"] == playlist]
    if req.arg("videoId"):
        found = [i for i in found if i["snippet"]["resourceId"]["videoId"] == req.arg("videoId")]
    answer: dict[str, Any] = {
        "kind": "youtube#playlistItemListResponse",
        "etag": _etag(playlist, start),
        "items": found[start : start + size],
        "pageInfo": {"totalResults": len(found), "resultsPerPage": size},
    }
    if start + size < len(found):
        answer["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return Response(200, answer)
