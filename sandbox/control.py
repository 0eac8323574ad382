"""/__sandbox__/: what tests, benchmarks and the demo ask of the outside world."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from sandbox.server import Fault, Request, Response, SandboxState, error
from sandbox.world import add_posts, edit_post, truth

CONSENT_COLUMNS = [
    "response_id",
    "submitted_at",
    "full_name",
    "age",
    "date_of_birth",
    "city",
    "country",
    "role",
    "email",
    "x_handle",
    "youtube_channel",
    "instagram_handle",
    "facebook_profile",
    "tiktok_handle",
    "linkedin_profile",
    "video_urls",
    "consent_scope",
    "expires_at",
    "guardian_name",
    "guardian_relationship",
    "guardian_signed",
    "signature",
    "form_version",
    "video_file",
]


def handle(state: SandboxState, req: Request) -> Response:
    action = req.path.removeprefix("/__sandbox__/").strip("/")
    body: Any = req.json() or {}
    if req.method == "GET" and action == "stats":
        return Response(
            200,
            {
                "requests": {k: dict(v) for k, v in state.requests.items()},
                "quota_units": {"youtube": sum(state.quota_used.values())},
                "writes": list(state.writes),
                "published": {k: len(v) for k, v in state.published.items()},
                "retweets": sorted(state.retweets),
            },
        )
    if req.method == "GET" and action == "consent.csv":
        return Response(
            200,
            raw=consent_csv(state, req.base_url).encode("utf-8"),
            headers={"content-type": "text/csv; charset=utf-8"},
        )
    if req.method == "GET" and action == "truth":
        return Response(200, truth(state.world))
    if req.method == "GET" and action.startswith("files/"):
        return Response(
            200, raw=b"\x00\x00\x00\x18ftypmp42sandbox-video", headers={"content-type": "video/mp4"}
        )
    if req.method == "POST" and action == "faults":
        platform = str(body.get("platform", "*"))
        fault = Fault(
            str(body.get("kind", "500")),
            int(body["count"]) if "count" in body else None,
            float(body["ratio"]) if "ratio" in body else None,
            float(body.get("delay", 2)),
        )
        if fault.remaining is None and fault.ratio is None:
            fault.remaining = 1
        state.faults[platform].append(fault)
        return Response(200, {"ok": True})
    if req.method == "POST" and action == "posts":
        added = add_posts(
            state.world, int(body.get("count", 1)), state.rng, body.get("platform"), state.now()
        )
        state.invalidate()
        return Response(
            200, {"added": [{"platform": p.platform, "native_id": p.native_id} for p in added]}
        )
    if req.method == "POST" and action == "delete":
        for post in state.world.posts:
            if post.platform == body.get("platform") and post.native_id == str(
                body.get("native_id")
            ):
                post.state = str(body.get("mode", "deleted"))
                state.invalidate()
                return Response(200, {"ok": True})
        return error(404, {"error": "no such post"})
    if req.method == "POST" and action == "edit":
        for post in state.world.posts:
            if post.platform == "x" and str(body.get("native_id")) in post.version_ids:
                new_id = edit_post(state.world, post, str(body.get("text", post.text)))
                state.invalidate()
                return Response(200, {"id": new_id, "edit_history_tweet_ids": post.version_ids})
        return error(404, {"error": "no such post"})
    if req.method == "POST" and action == "revoke":
        # the YouTube channel owner removed storydesk's access (myaccount.google.com)
        state.revoked_refresh_tokens.add(str(body.get("refresh_token", "")))
        state.oauth_tokens.clear()
        return Response(200, {"ok": True})
    if req.method == "POST" and action == "withhold":
        # X withholds a post in some countries (a legal demand): `withheld.country_codes`
        for post in state.world.posts:
            if post.platform == "x" and post.native_id == str(body.get("native_id")):
                post.withheld = [str(c) for c in body.get("countries", ["DE"])]
                state.invalidate()
                return Response(200, {"ok": True})
        return error(404, {"error": "no such post"})
    if req.method == "POST" and action == "x-account":
        # what the campaign's X account has bought: post-read credits, Enterprise quoting
        if "credits" in body:
            state.x_credits = None if body["credits"] is None else int(body["credits"])
        if "quote_access" in body:
            state.x_quote_access = bool(body["quote_access"])
        return Response(200, {"credits": state.x_credits, "quote_access": state.x_quote_access})
    if req.method == "POST" and action == "reset":
        state.reset()
        return Response(200, {"ok": True})
    if req.method == "POST" and action == "clock":
        state.offset += timedelta(seconds=float(body.get("advance", 0)))
        return Response(200, {"now": state.now().isoformat()})
    return error(404, {"error": f"unknown control {action}"})


def consent_csv(state: SandboxState, base_url: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CONSENT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in state.world.consent_rows:
        row = dict(row)
        if row.get("video_file"):
            row["video_file"] = base_url + row["video_file"]
        writer.writerow(row)
    return out.getvalue()
