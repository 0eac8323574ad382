"""TikTok Content Posting API: creator info, direct post and inbox upload, status.

As TikTok documents it (developers.tiktok.com/doc/content-posting-api-get-started,
.../content-posting-api-reference-upload-video, .../content-posting-api-reference-direct-post):
- upload to inbox (`/inbox/video/init/`, scope video.upload) sends a draft the account holder
  finishes in the app: status ends at SEND_TO_USER_INBOX;
- direct post (`/video/init/`, scope video.publish): content from an unaudited client is
  private-only, so anything but SELF_ONLY is refused until the app passed the audit;
- PULL_FROM_URL only from a domain verified in the app (URL properties);
- user tokens (developers.tiktok.com/doc/oauth-user-access-token-management and
  …/oauth-refresh-a-user-access-token, updated 2026-11): `POST /v2/oauth/token/` with
  grant_type=refresh_token gives an access token for 2 hours and a NEW refresh token for 180
  days; "The previous refresh token stops working once a new one is issued". Only access
  tokens issued here and not expired are taken (401 access_token_invalid otherwise). The
  sandbox takes any refresh token it has not rotated out as the first one (it does not model
  the authorisation step that issues it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sandbox.server import Request, Response, SandboxState, error


def _envelope(data: dict[str, Any], code: str = "ok", message: str = "") -> dict[str, Any]:
    return {
        "data": data,
        "error": {"code": code, "message": message, "log_id": "202611240000sandbox"},
    }


ACCESS_SECONDS = 2 * 3600
REFRESH_SECONDS = 180 * 86400


def _oauth_error(status: int, code: str, description: str) -> Response:
    return error(
        status, {"error": code, "error_description": description, "log_id": "202612030000sandbox"}
    )


def token_endpoint(state: SandboxState, req: Request) -> Response:
    """POST /v2/oauth/token/, the refresh_token grant: rotates the refresh token."""
    form = req.form()
    if not form.get("client_key") or not form.get("client_secret"):
        return _oauth_error(401, "invalid_client", "Client key or secret is invalid.")
    if form.get("grant_type") != "refresh_token":
        return _oauth_error(400, "unsupported_grant_type", "The grant type is not supported.")
    now = state.epoch()
    refresh = form.get("refresh_token") or ""
    live: dict[str, float] = state.published["tiktok-refresh"]  # token -> expiry
    spent: dict[str, float] = state.published["tiktok-refresh-spent"]
    if not refresh or refresh in spent or live.get(refresh, now + 1) <= now:
        return _oauth_error(400, "invalid_grant", "Refresh token is invalid or expired.")
    live.pop(refresh, None)
    spent[refresh] = now
    access: dict[str, float] = state.published["tiktok-access"]  # token -> expiry
    serial = len(spent)
    new_refresh, new_access = f"rft.sandbox-{serial}", f"act.sandbox-{serial}"
    live[new_refresh] = now + REFRESH_SECONDS
    access[new_access] = now + ACCESS_SECONDS
    return Response(
        200,
        {
            "access_token": new_access,
            "expires_in": ACCESS_SECONDS,
            "open_id": "sandbox-open-id",
            "refresh_expires_in": REFRESH_SECONDS,
            "refresh_token": new_refresh,
            "scope": "user.info.basic,video.upload,video.publish",
            "token_type": "Bearer",
        },
    )


def _token_ok(state: SandboxState, req: Request) -> bool:
    header = req.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    expiry = state.published["tiktok-access"].get(token)
    return expiry is not None and expiry > state.epoch()


def handle(state: SandboxState, req: Request) -> Response:
    if not _token_ok(state, req):
        return error(
            401,
            _envelope(
                {},
                "access_token_invalid",
                "The access token is invalid or not found in the request.",
            ),
        )
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
    if action in ("video/init", "inbox/video/init"):
        source = body.get("source_info") or {}
        if source.get("source") not in ("PULL_FROM_URL", "FILE_UPLOAD"):
            return error(400, _envelope({}, "invalid_params", "source_info.source is required"))
        if source.get("source") == "PULL_FROM_URL" and not _verified(state, req, source):
            return error(
                403,
                _envelope(
                    {},
                    "url_ownership_unverified",
                    "Please verify the ownership of the domain or URL prefix of video_url.",
                ),
            )
        privacy = (body.get("post_info") or {}).get("privacy_level")
        if action == "video/init" and not state.tiktok_audited and privacy != "SELF_ONLY":
            return error(
                403,
                _envelope(
                    {},
                    "unaudited_client_can_only_post_to_private_accounts",
                    "Unaudited clients can only post with SELF_ONLY privacy.",
                ),
            )
        publish_id = f"v_pub_url~v2.{7_300_000_000_000_000_000 + len(store)}"
        store[publish_id] = {
            "publish_id": publish_id,
            "post_info": body.get("post_info"),
            "source": source,
            "polls": 0,
            "inbox": action.startswith("inbox"),
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
        done = "SEND_TO_USER_INBOX" if item.get("inbox") else "PUBLISH_COMPLETE"
        status = done if item["polls"] > 1 else "PROCESSING_DOWNLOAD"
        return Response(200, _envelope({"status": status, "publicaly_available_post_id": []}))
    return error(404, _envelope({}, "not_found", "unknown endpoint"))


def _verified(state: SandboxState, req: Request, source: dict[str, Any]) -> bool:
    """The video_url's host is verified in the app (the sandbox's own files always are)."""
    host = urlsplit(str(source.get("video_url", ""))).hostname or ""
    own = urlsplit(req.base_url).hostname
    return host == own or host in state.tiktok_verified_domains
