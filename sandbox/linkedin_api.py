"""LinkedIn Posts API: create (201 + x-restli-id), read, delete; version headers required.

As LinkedIn does it (learn.microsoft.com/linkedin/marketing/versioning, .../little-text-format):
- `LinkedIn-Version: YYYYMM` must name an active version: each is supported for at least a
  year and then sunset; a sunset, future or missing version gets 426 NONEXISTENT_VERSION.
- `commentary` is "little" text: `\\ | { } @ [ ] ( ) < > # * _ ~` are reserved and must be
  backslash-escaped; LinkedIn keeps a post with an unescaped one but cuts its text there
  (a `#word` hashtag, an `@[Name](urn:li:...)` mention and a link are elements, not cuts).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from sandbox.server import Request, Response, SandboxState, error

RESERVED = set("\\|{}@[]()<>#*_~")
ACTIVE_MONTHS = 12  # LinkedIn supports a version for at least a year, then sunsets it
# elements, not cuts: hashtags, mentions, and links (left whole by clients whose fix ended
# the cuts: apoorvdarshan/crossposter v1.1.5 escapes everything but URLs and #hashtags)
ELEMENT = re.compile(r"#\w+|@\[[^\]]*\]\(urn:li:[^)]+\)|https?://\S+")


def active(state: SandboxState, version: str) -> bool:
    match = re.fullmatch(r"(\d{4})(\d{2})(?:\.\d{2})?", version)
    if not match:
        return False
    year, month = int(match.group(1)), int(match.group(2))
    now = state.now()
    age = (now.year - year) * 12 + (now.month - month)
    return 1 <= month <= 12 and 0 <= age < ACTIVE_MONTHS


def little_cut(text: str) -> str:
    """What LinkedIn keeps of a commentary: up to its first unescaped reserved character."""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            i += 2
            continue
        element = ELEMENT.match(text, i)
        if element:
            i = element.end()
            continue
        if char in RESERVED:
            return text[:i]
        i += 1
    return text


def handle(state: SandboxState, req: Request) -> Response:
    if not req.headers.get("authorization", "").startswith("Bearer "):
        return error(
            401,
            {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            },
        )
    version = req.headers.get("linkedin-version", "")
    if not version:
        return error(
            426,
            {
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": "A version must be present. Please specify a version by "
                "adding the LinkedIn-Version header.",
            },
        )
    if not active(state, version):
        return error(
            426,
            {
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": f"Requested version {version} is not active",
            },
        )
    store = state.published["linkedin"]
    rest = req.path.removeprefix("/rest/posts").strip("/")
    if req.method == "POST" and not rest:
        body = req.json() or {}
        if not body.get("author") or "commentary" not in body:
            return error(
                422,
                {
                    "status": 422,
                    "code": "UNPROCESSABLE_ENTITY",
                    "message": "author and commentary are required",
                },
            )
        urn = f"urn:li:share:{7_200_000_000_000_000_000 + len(store)}"
        # kept as LinkedIn shows it: cut at the first unescaped reserved character
        store[urn] = {"id": urn, **body, "commentary": little_cut(str(body["commentary"]))}
        return Response(201, headers={"x-restli-id": urn, "x-linkedin-id": urn})
    urn = unquote(rest)
    if req.method == "GET" and not rest and req.arg("q") == "author":
        mine = [p for p in store.values() if p.get("author") == req.arg("author")]
        return Response(
            200,
            {
                "elements": mine[::-1][: int(req.arg("count") or 10)],
                "paging": {"start": 0, "count": len(mine)},
            },
        )
    if req.method == "GET":
        if urn not in store:
            return error(404, {"status": 404, "code": "NOT_FOUND", "message": "Not Found"})
        return Response(200, store[urn])
    if req.method == "DELETE":
        # "Post deletions are idempotent": a post already deleted answers 204 No Content too
        # (learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api,
        # Delete Posts), so the client cannot tell "deleted now" from "already gone"
        store.pop(urn, None)
        return Response(204)
    return error(405, {"status": 405, "message": "Method not allowed"})
