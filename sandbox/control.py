"""/__sandbox__/: what tests, benchmarks and the demo ask of the outside world."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from sandbox.constants import X_ACCOUNT_USERNAME
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
    "bluesky_handle",
    "video_urls",
    "consent_scope",
    "expires_at",
    "guardian_name",
    "guardian_relationship",
    "guardian_signed",
    "signature",
    "form_version",
    "video_file",
    # the code in the form's address when the form was opened from our request's link
    "code",
]


def handle(state: SandboxState, req: Request) -> Response:
    action = req.path.removeprefix("/__sandbox__/").strip("/")
    body: Any = req.json() or {}
    if req.method == "GET" and action == "stats":
        return Response(
            200,
            {
                "requests": {k: dict(v) for k, v in state.requests.items()},
                "quota_units": {
                    "youtube": sum(state.quota_used.values()),
                    "youtube:search": sum(
                        u for (b, _), u in state.quota_buckets.items() if b == "search.list"
                    ),
                },
                # X pay-per-use: posts returned by search and look-ups, each one charged
                "x_posts_read": state.x_posts_read,
                "writes": list(state.writes),
                "published": {k: len(v) for k, v in state.published.items()},
                "retweets": sorted(state.retweets),
                # replies and comments the campaign account made on participants' posts
                "replies": dict(state.reply_counts),
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
        state.oauth_scopes.clear()
        return Response(200, {"ok": True})
    if req.method == "POST" and action == "withhold":
        # X withholds a post in some countries (a legal demand): `withheld.country_codes`
        for post in state.world.posts:
            if post.platform == "x" and post.native_id == str(body.get("native_id")):
                post.withheld = [str(c) for c in body.get("countries", ["DE"])]
                state.invalidate()
                return Response(200, {"ok": True})
        return error(404, {"error": "no such post"})
    if req.method == "POST" and action == "tiktok-app":
        # what the campaign's TikTok app has: the audit passed, verified domains
        if "audited" in body:
            state.tiktok_audited = bool(body["audited"])
        state.tiktok_verified_domains |= {str(d) for d in body.get("verified_domains", [])}
        return Response(200, {"audited": state.tiktok_audited})
    if req.method == "POST" and action == "x-account":
        # what the campaign's X account has bought: post-read credits, Enterprise quoting
        if "credits" in body:
            state.x_credits = None if body["credits"] is None else int(body["credits"])
        if "quote_access" in body:
            state.x_quote_access = bool(body["quote_access"])
        return Response(200, {"credits": state.x_credits, "quote_access": state.x_quote_access})
    if req.method == "POST" and action == "sign":
        return _sign(state, body)
    if req.method == "POST" and action == "reply":
        return _participant_reply(state, body)
    if req.method == "POST" and action == "reset":
        state.reset()
        return Response(200, {"ok": True})
    if req.method == "POST" and action == "clock":
        state.offset += timedelta(seconds=float(body.get("advance", 0)))
        return Response(200, {"now": state.now().isoformat()})
    return error(404, {"error": f"unknown control {action}"})


def _participant_reply(state: SandboxState, body: dict[str, Any]) -> Response:
    """A participant answers on the platform: {platform, in_reply_to, text, by: "author"
    (the poster of the thread's post) or "other" (someone else)}."""
    from sandbox import x_api

    platform, parent = str(body.get("platform", "x")), str(body.get("in_reply_to", ""))
    if platform == "youtube":
        return _youtube_reply(state, parent, str(body.get("by", "author")), body)
    if platform != "x":
        return error(400, {"error": f"replies by participants: not on {platform}"})
    thread = next((r for r in state.replies["x"] if r["id"] == parent), None)
    root = thread["conversation_id"] if thread else parent
    post = x_api._index(state).get(root)
    if post is None:
        return error(404, {"error": "no such post"})
    person = state.world.people[post.person]
    if body.get("by", "author") == "author":
        author_id, username = person.ids["x"], person.handles["x"]
    else:
        author_id, username = "1700000000000000099", "someone_else"
    reply = x_api.add_reply(state, parent, author_id, username, str(body.get("text", "")))
    if reply is None:
        return error(404, {"error": "no such post"})
    return Response(200, {"id": reply["id"]})


def _sign(state: SandboxState, body: dict[str, Any]) -> Response:
    """The poster opens the link in our request under their post and signs the form: a row
    with the request's code joins the export. It names no handle and no video, and may give
    another spelling of the name ({"name": ...}): only the code ties it to the post."""
    import re

    root = str(body.get("native_id", ""))
    ours = [
        {"text": c["text"], "conversation_id": root, "username": X_ACCOUNT_USERNAME}
        for c in state.replies["youtube"]
        if c["video"] == root and c["author"] == "UCstorydeskCampaign0000001"
    ] + [
        r
        for r in state.replies["x"]
        if r["conversation_id"] == root and r["username"] == X_ACCOUNT_USERNAME
    ]
    codes = [m.group(1) for r in ours if (m := re.search(r"[?&]code=([\w-]+)", r["text"]))]
    if not codes:
        return error(404, {"error": "no request with a code under that post"})
    post = next((p for p in state.world.posts if p.native_id == root), None)
    assert post is not None
    person = state.world.people[post.person]
    number = len(state.world.consent_rows) + 50_000
    row = {c: "" for c in CONSENT_COLUMNS}
    row.update(
        response_id=f"R{number}",
        submitted_at=state.now().strftime("%Y-%m-%d %H:%M:%S"),
        full_name=str(body.get("name") or person.full_name),
        age=str(person.age) if person.age is not None else "",
        city=person.city,
        country=person.country,
        role=person.role,
        consent_scope="all",
        signature=str(body.get("name") or person.full_name),
        form_version="2026-1",
        code=codes[0],
    )
    if person.age is not None and person.age < 18 and body.get("guardian", True):
        row.update(guardian_name="Guardian " + person.full_name.split()[-1])
        row.update(guardian_relationship="guardian", guardian_signed="yes")
    state.world.consent_rows.append(row)
    return Response(200, {"response_id": row["response_id"], "code": codes[0]})


def _youtube_reply(state: SandboxState, thread: str, by: str, body: dict[str, Any]) -> Response:
    """A reply in a comment thread (comments.insert with snippet.parentId, as YouTube
    stores it): by the video's owner ("author") or by someone else."""
    from sandbox import youtube_comments as yc

    top = next((c for c in state.replies["youtube"] if c["id"] == thread), None)
    if top is None:
        return error(404, {"error": "no such comment thread"})
    post = yc._video(state, top["video"])
    person = state.world.people[post.person]
    author, name = (
        (person.ids["youtube"], person.full_name)
        if by == "author"
        else (yc.OTHER_CHANNEL_ID, "Someone Else")
    )
    text = str(body.get("text", ""))
    comment = yc.add_comment(state, top["video"], author, name, text, parent=thread)
    assert comment is not None
    return Response(200, {"id": comment["id"]})


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
