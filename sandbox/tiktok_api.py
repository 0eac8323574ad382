"""TikTok Content Posting API: creator info, video init (pull from URL), status."""

from __future__ import annotations

from typing import Any

from sandbox.server import Request, Response, SandboxState, error


def _envelope(data: dict[str, Any], code: str = "ok", message: str = "") -> dict[str, Any]:
    return {
        "data": data,
        "error": {"code": code, "message": message, "log_id": "202611240000sandbox"},
    }


def handle(state: SandboxState, req: Request) -> Response:
    if not req.headers.get("authorization", "").startswith("Bearer "):
        return error(401, _envelope({}, "access_token_invalid", "The access token is invalid."))
    action = req.path.removeprefix("/v2/post/publish/").strip("/")
    body = req.json() or {}
    store = state.published["tiktok"]
    if action == "creator_info/query":
        return Response(
            200,
            _envelope(
                {
                    "creator_username": "storydesk_demo",
                    "privacy_level_options": ["SELF_ONLY", "PUBLIC_TO_EVERYONE"],
                    "max_video_post_duration_sec": 600,
                }
            ),
        )
    if action == "video/init":
        source = body.get("source_info") or {}
        if source.get("source") not in ("PULL_FROM_URL", "FILE_UPLOAD"):
            return error(400, _envelope({}, "invalid_params", "source_info.source is required"))
        publish_id = f"v_pub_url~v2.{7_300_000_000_000_000_000 + len(store)}"
        store[publish_id] = {
            "publish_id": publish_id,
            "post_info": body.get("post_info"),
            "source": source,
            "polls": 0,
        }
        data: dict[str, Any] = {"publish_id": publish_id}
        if source.get("source") == "FILE_UPLOAD":
            data["upload_url"] = f"{req.base_url}/__sandbox__/upload/{publish_id}"
        return Response(200, _envelope(data))
    if action == "status/fetch":
        item = store.get(str(body.get("publish_id")))
        if item is None:
            return error(400, _envelope({}, "invalid_publish_id", "publish_id not found"))
        item["polls"] += 1
        status = "PUBLISH_COMPLETE" if item["polls"] > 1 else "PROCESSING_DOWNLOAD"
        return Response(200, _envelope({"status": status, "publicaly_available_post_id": []}))
    return error(404, _envelope({}, "not_found", "unknown endpoint"))
