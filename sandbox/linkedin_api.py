"""LinkedIn Posts API: create (201 + x-restli-id), read, delete; version headers required."""

from __future__ import annotations

from urllib.parse import unquote

from sandbox.server import Request, Response, SandboxState, error


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
    if not req.headers.get("linkedin-version"):
        return error(
            426,
            {
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": "A version must be present. Please specify a version by "
                "adding the LinkedIn-Version header.",
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
        store[urn] = {"id": urn, **body}
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
        store.pop(urn, None)
        return Response(204)
    return error(405, {"status": 405, "message": "Method not allowed"})
