"""Bluesky (AT Protocol XRPC) as the atproto SDK calls it: a PDS that signs in and keeps the
campaign account's records, and the AppView's search and post views behind it.

Sources, named where each rule is emulated:
- lexicons in github.com/bluesky-social/atproto, lexicons/: com/atproto/server/createSession,
  refreshSession; com/atproto/repo/createRecord, deleteRecord, listRecords;
  app/bsky/actor/getProfile; app/bsky/feed/searchPosts (q required; limit 1..100, default 25;
  tag: AND-matched, without '#'; since inclusive, until exclusive, on sortAt; sort
  latest|top; an opaque cursor), getPosts (at most 25 uris; missing posts are left out),
  defs#postView, embed/video#view, richtext/facet (byte offsets in UTF-8).
- XRPC errors are `{"error": NAME, "message": ...}`: 400 InvalidRequest, 401
  AuthenticationRequired, 400 ExpiredToken (atproto.com/specs/xrpc#error-responses).
- Sessions: createSession answers accessJwt/refreshJwt (JWTs the SDK decodes for their `exp`
  to refresh early), did and handle; every app.bsky call needs `Authorization: Bearer`.
Video posts carry no duration in any lexicon: the twin gives none, as the real one does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sandbox.server import Request, Response, SandboxState, error
from sandbox.world import Person, World, WorldPost

# The campaign's own account on the twin (what createSession signs in as).
ACCOUNT_HANDLE = "storydesk-demo.bsky.social"
ACCOUNT_DID = "did:plc:" + "storydeskdemoaccount2345"[:24]
MAX_LIMIT, DEFAULT_LIMIT, MAX_URIS = 100, 25, 25
ACCESS_SECONDS = 2 * 3600  # a PDS's access token lives about two hours
_B32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as TIDs and did:plc use


def _b32(data: bytes, size: int) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    for _ in range(size):
        number, rest = divmod(number, 32)
        out = _B32[rest] + out
    return out


def did_of(person: Person) -> str:
    return "did:plc:" + _b32(hashlib.sha256(f"person-{person.index}".encode()).digest(), 24)


def handle_of(person: Person) -> str:
    return f"{person.handles['x'].lower().replace('_', '-')}.bsky.social"


def tid(moment: datetime, seq: int) -> str:
    """A record key as the PDS makes them: microseconds since 1970 and a clock id."""
    micros = int(moment.timestamp() * 1_000_000)
    return _b32(((micros << 10) | (seq % 1024)).to_bytes(8, "big"), 13)


def cid_of(text: str) -> str:
    return "bafyrei" + _b32(hashlib.sha256(text.encode()).digest(), 52)


# --- the world: a Bluesky copy of some testimonies, chosen without the world's random draws


def add_copies(world_posts: list[WorldPost], people: list[Person]) -> list[WorldPost]:
    """Every testimony of a person whose index is a multiple of 4 is cross-posted to Bluesky
    (deterministic: the world's own random sequence is untouched)."""
    copies: list[WorldPost] = []
    seen: set[int] = set()
    for post in world_posts:
        if post.testimony in seen or people[post.person].index % 4:
            continue
        seen.add(post.testimony)
        when = post.published_at + timedelta(minutes=7)
        person = people[post.person]
        person.handles["bluesky"], person.ids["bluesky"] = handle_of(person), did_of(person)
        copies.append(
            WorldPost(
                "bluesky",
                f"{did_of(person)}/{tid(when, post.testimony)}",
                post.person,
                post.text.split(" https://")[0],
                when,
                post.duration if post.is_video else None,
                post.is_video,
                testimony=post.testimony,
            )
        )
    return copies


def post_url(post: WorldPost, handle: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{post.native_id.rsplit('/', 1)[1]}"


def uri_of(native_id: str) -> str:
    did, rkey = native_id.rsplit("/", 1)
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def _facets(text: str) -> list[dict[str, Any]]:
    """Tag, mention and link facets with UTF-8 byte offsets, as the app writes them."""
    facets: list[dict[str, Any]] = []
    encoded = text.encode()
    for word in text.split():
        if word[:1] not in "#@" and not word.startswith("https://"):
            continue
        clean = word.rstrip(".,;!?")
        start = encoded.find(clean.encode())
        if start < 0:
            continue
        index = {"byteStart": start, "byteEnd": start + len(clean.encode())}
        if clean.startswith("#"):
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": clean[1:]}
        elif clean.startswith("@"):
            did = "did:plc:" + _b32(hashlib.sha256(clean.encode()).digest(), 24)
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        else:
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": clean}
        facets.append({"index": index, "features": [feature]})
    return facets


def post_view(world: World, post: WorldPost, viewer_repost: str | None = None) -> dict[str, Any]:
    person = world.people[post.person]
    did, handle = did_of(person), handle_of(person)
    stamp = post.published_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": post.text,
        "createdAt": stamp,
        "langs": [person.language],
        "facets": _facets(post.text),
    }
    view: dict[str, Any] = {
        "uri": uri_of(post.native_id),
        "cid": cid_of(post.native_id),
        "author": {
            "did": did,
            "handle": handle,
            "displayName": person.full_name,
            "labels": [],
            "createdAt": "2024-02-06T00:00:00.000Z",
        },
        "record": record,
        "replyCount": 0,
        "repostCount": 0,
        "likeCount": 0,
        "quoteCount": 0,
        "indexedAt": stamp,
        "labels": [],
        "viewer": {"repost": viewer_repost} if viewer_repost else {},
    }
    if post.is_video:
        blob = cid_of("video:" + post.native_id)
        record["embed"] = {
            "$type": "app.bsky.embed.video",
            "video": {
                "$type": "blob",
                "ref": {"$link": blob},
                "mimeType": "video/mp4",
                "size": 4_200_000,
            },
            "aspectRatio": {"width": 1080, "height": 1080},
        }
        view["embed"] = {
            "$type": "app.bsky.embed.video#view",
            "cid": blob,
            "playlist": f"https://video.bsky.app/watch/{quote(did)}/{blob}/playlist.m3u8",
            "thumbnail": f"https://video.bsky.app/watch/{quote(did)}/{blob}/thumbnail.jpg",
            "aspectRatio": {"width": 1080, "height": 1080},
        }
    return view


# --- XRPC


def _xrpc_error(status: int, name: str, message: str) -> Response:
    return error(status, {"error": name, "message": message})


def _jwt(payload: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'typ': 'at+jwt', 'alg': 'HS256'})}.{part(payload)}.c2FuZGJveA"


def _session(state: SandboxState) -> dict[str, Any]:
    now = int(time.time())  # the SDK reads `exp` against its own clock
    tokens = state.published["bluesky-tokens"]
    access = _jwt(
        {"scope": "com.atproto.appPass", "sub": ACCOUNT_DID, "iat": now, "exp": now + 7200}
    )
    refresh = _jwt(
        {"scope": "com.atproto.refresh", "sub": ACCOUNT_DID, "iat": now, "exp": now + 90 * 86400}
    )
    tokens[access], tokens[refresh] = "access", "refresh"
    return {
        "did": ACCOUNT_DID,
        "handle": ACCOUNT_HANDLE,
        "accessJwt": access,
        "refreshJwt": refresh,
        "active": True,
    }


def _bearer(state: SandboxState, req: Request, kind: str) -> Response | None:
    header = req.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not token:
        return _xrpc_error(401, "AuthenticationRequired", "Authentication Required")
    if state.published["bluesky-tokens"].get(token) != kind:
        return _xrpc_error(400, "InvalidToken", "Token could not be verified")
    return None


def _posts(state: SandboxState) -> list[WorldPost]:
    return [p for p in state.world.by_platform("bluesky") if p.state == "available"]


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value if "T" in value else value + "T00:00:00Z"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _reposts(state: SandboxState) -> dict[str, dict[str, Any]]:
    return state.published["bluesky"]  # rkey -> repost record


def _repost_of(state: SandboxState, uri: str) -> str | None:
    for rkey, record in _reposts(state).items():
        if record["subject"]["uri"] == uri:
            return f"at://{ACCOUNT_DID}/app.bsky.feed.repost/{rkey}"
    return None


def handle(state: SandboxState, req: Request) -> Response:
    nsid = req.path.removeprefix("/xrpc/").strip("/")
    if nsid == "com.atproto.server.createSession":
        body = req.json() or {}
        if not body.get("identifier") or not body.get("password"):
            return _xrpc_error(400, "InvalidRequest", 'Input must have the property "identifier"')
        return Response(200, _session(state))
    if nsid == "com.atproto.server.refreshSession":
        return _bearer(state, req, "refresh") or Response(200, _session(state))
    refused = _bearer(state, req, "access")
    if refused is not None:
        return refused
    if nsid == "app.bsky.actor.getProfile":
        return Response(
            200,
            {"did": ACCOUNT_DID, "handle": ACCOUNT_HANDLE, "displayName": "Learning never stops"},
        )
    if nsid == "app.bsky.feed.searchPosts":
        return _search(state, req)
    if nsid == "app.bsky.feed.getPosts":
        uris = req.query.get("uris", [])
        if len(uris) > MAX_URIS:
            return _xrpc_error(400, "InvalidRequest", f"uris must not have more than {MAX_URIS}")
        found = {uri_of(p.native_id): p for p in _posts(state)}
        return Response(
            200,
            {
                "posts": [
                    post_view(state.world, found[u], _repost_of(state, u))
                    for u in uris
                    if u in found
                ]
            },
        )
    if nsid.startswith("com.atproto.repo."):
        return _repo(state, req, nsid.removeprefix("com.atproto.repo."))
    return _xrpc_error(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")


def _search(state: SandboxState, req: Request) -> Response:
    q = req.arg("q")
    if not q:
        return _xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "q"')
    try:
        limit = int(req.arg("limit") or DEFAULT_LIMIT)
        offset = int(req.arg("cursor") or 0)
    except ValueError:
        return _xrpc_error(400, "InvalidRequest", "limit and cursor must be integers")
    if not 1 <= limit <= MAX_LIMIT:
        return _xrpc_error(400, "InvalidRequest", f"limit must be between 1 and {MAX_LIMIT}")
    tags = [t.lower() for t in req.query.get("tag", [])]
    since, until = _when(req.arg("since")), _when(req.arg("until"))
    words = [w.lstrip("#").lower() for w in q.split() if w.upper() not in ("OR", "AND")]
    hits = []
    for post in _posts(state):
        in_text = {w.lstrip("#").rstrip(".,;!?").lower() for w in post.text.split()}
        post_tags = {w for w in in_text if f"#{w}" in post.text.lower()}
        if tags and not all(t in post_tags for t in tags):  # tags are AND-matched
            continue
        if not any(w in in_text for w in words):
            continue
        if since and post.published_at < since or until and post.published_at >= until:
            continue
        hits.append(post)
    hits.sort(key=lambda p: (p.published_at, p.native_id), reverse=True)  # sort=latest
    page = hits[offset : offset + limit]
    body: dict[str, Any] = {
        "posts": [post_view(state.world, p, _repost_of(state, uri_of(p.native_id))) for p in page],
        "hitsTotal": len(hits),
    }
    if offset + limit < len(hits):
        body["cursor"] = str(offset + limit)
    return Response(200, body)


def _repo(state: SandboxState, req: Request, method: str) -> Response:
    body = req.json() or {}
    reposts = _reposts(state)
    if method == "createRecord":
        record = body.get("record") or {}
        subject = record.get("subject") or {}
        if body.get("repo") not in (ACCOUNT_DID, ACCOUNT_HANDLE):
            return _xrpc_error(400, "InvalidRequest", "Could not find repo")
        if body.get("collection") != "app.bsky.feed.repost" or not subject.get("uri"):
            return _xrpc_error(400, "InvalidRequest", "Invalid app.bsky.feed.repost record")
        if subject["uri"] not in {uri_of(p.native_id) for p in _posts(state)}:
            return _xrpc_error(400, "InvalidRequest", "Could not locate record: " + subject["uri"])
        rkey = tid(state.now(), len(reposts))
        reposts[rkey] = record
        uri = f"at://{ACCOUNT_DID}/app.bsky.feed.repost/{rkey}"
        return Response(200, {"uri": uri, "cid": cid_of(uri), "validationStatus": "valid"})
    if method == "deleteRecord":
        reposts.pop(str(body.get("rkey")), None)  # deleting what is gone succeeds, as on a PDS
        return Response(200, {})
    if method == "listRecords":
        if req.arg("collection") != "app.bsky.feed.repost":
            return Response(200, {"records": []})
        records = [
            {
                "uri": f"at://{ACCOUNT_DID}/app.bsky.feed.repost/{rkey}",
                "cid": cid_of(rkey),
                "value": record,
            }
            for rkey, record in sorted(reposts.items(), reverse=True)
        ]
        return Response(200, {"records": records[: int(req.arg("limit") or 50)]})
    return _xrpc_error(501, "MethodNotImplemented", f"Method Not Implemented: {method}")
