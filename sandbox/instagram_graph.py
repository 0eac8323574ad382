"""Instagram through Meta's Graph API: hashtag search and reels publishing, with the limits
Meta documents (sandbox/graph_api.py routes here).

- Hashtag search: "You can query a maximum of 30 unique hashtags within a 7 day period";
  "Subsequent queries on the same hashtag within this time frame will not count against your
  limit" (developers.facebook.com/docs/instagram-api/guides/hashtag-search; ig-hashtag-search
  reference). Hashtag ids are "static and global". Meta does not document the refusal's body:
  the sandbox sends a Graph error with code 24 and says so in its message.
- Reels: "We cURL media used in publishing attempts so the media must be hosted on a publicly
  accessible server" (…/instagram-platform/content-publishing). A URL Meta cannot fetch is
  refused with code 9004, subcode 2207052, "Media download has failed." (as Meta's answers
  are recorded by API clients; the IG error-codes reference lists the 2207xxx subcodes).
- Publishing limit: media_publish counts against a moving 24 h window; how many is read from
  `GET /{ig-user}/content_publishing_limit` (config.quota_total). Meta's pages disagree on the
  number (media_publish reference: 50; older pages 25; others 100): the sandbox answers 50,
  as the media_publish reference says, and a publish past it gets code 9, subcode 2207042.
- The account's own media: `GET /{ig-user}/media` (fields id, caption, permalink, shortcode,
  timestamp, media_product_type), newest first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sandbox.server import Request, Response, SandboxState, error
from sandbox.world import shortcode

HASHTAGS_PER_WEEK = 30
PUBLISH_QUOTA = 50
DAY = 86400


def _graph_error(message: str, code: int, subcode: int | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    body.update(extra)
    body["fbtrace_id"] = "AsandboxIG"
    return error(400, {"error": body})


def hashtag_id(state: SandboxState, tag: str) -> str:
    ids: dict[str, str] = state.published["ig-hashtags"]  # hashtag id -> name
    for found, name in ids.items():
        if name == tag:
            return found
    new = str(17_843_000_000_000_000 + len(ids))
    ids[new] = tag
    return new


def hashtag_search(state: SandboxState, req: Request, ig_user: str) -> Response:
    tag = (req.arg("q") or "").lower().lstrip("#")
    if req.arg("user_id") != ig_user or not tag:
        return _graph_error("(#100) The parameters user_id and q are required", 100)
    now = state.epoch()
    queried: dict[str, float] = state.published["ig-hashtag-queries"]  # name -> first query
    for name, first in list(queried.items()):
        if first <= now - 7 * DAY:
            del queried[name]
    if tag not in queried:
        if len(queried) >= HASHTAGS_PER_WEEK:
            return _graph_error(
                "(#24) The user has queried 30 unique hashtags in the last 7 days "
                "(sandbox: Meta documents the limit, not this answer's body)",
                24,
            )
        queried[tag] = now
    return Response(200, {"data": [{"id": hashtag_id(state, tag)}]})


def _fetchable(state: SandboxState, req: Request, url: str) -> bool:
    """Could Meta's servers fetch `url`? In the sandbox: the sandbox's own files, and hosts a
    test declares public (state.published["ig-public-hosts"])."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == urlsplit(req.base_url).hostname:
        return True
    return parts.hostname in state.published["ig-public-hosts"]


def create_container(state: SandboxState, req: Request) -> Response:
    video_url = req.param("video_url") or ""
    if (req.param("media_type") or "").upper() != "REELS" or not video_url:
        return _graph_error("The parameter video_url is required", 100)
    if not _fetchable(state, req, video_url):
        return _graph_error(
            "Only photo or video can be accepted as media type.",
            9004,
            2207052,
            error_user_title="Media download has failed.",
            error_user_msg="The media could not be fetched from this URI: " + video_url,
        )
    store = state.published["ig-containers"]
    cid = str(17_900_000_000_000_000 + len(store))
    store[cid] = {"id": cid, "caption": req.param("caption"), "polls": 0, "published": None}
    return Response(200, {"id": cid})


def _published_since(state: SandboxState, since: float) -> int:
    return sum(
        1
        for media in state.published["instagram"].values()
        if media.get("published") and float(media.get("epoch", 0)) > since
    )


def _quota(state: SandboxState) -> int:
    return int(state.published["ig-settings"].get("quota_total", PUBLISH_QUOTA))


def publishing_limit(state: SandboxState, req: Request) -> Response:
    since = max(float(req.arg("since") or 0), state.epoch() - DAY)
    return Response(
        200,
        {
            "data": [
                {
                    "config": {"quota_total": _quota(state), "quota_duration": DAY},
                    "quota_usage": _published_since(state, since),
                }
            ]
        },
    )


def publish_container(state: SandboxState, req: Request) -> Response:
    cid = req.param("creation_id") or ""
    container = state.published["ig-containers"].get(cid)
    if container is None or container["polls"] < 1:
        return _graph_error("Media ID is not available", 9007, 2207027)
    if container["published"]:
        # Meta does not document publishing one container twice: a container is spent
        return _graph_error("Media ID is not available", 9007, 2207027)
    if _published_since(state, state.epoch() - DAY) >= _quota(state):
        return _graph_error(
            "Application request limit reached",
            9,
            2207042,
            error_user_title="Reached the limit of posts",
            error_user_msg="You reached maximum number of posts that is allowed to be "
            "published by Content Publishing API.",
        )
    media_id = str(17_950_000_000_000_000 + len(state.published["instagram"]))
    container["published"] = media_id
    state.published["instagram"][media_id] = {
        "id": media_id,
        "caption": container["caption"],
        "published": True,
        "epoch": state.epoch(),
        "timestamp": state.now().strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "shortcode": shortcode(media_id),
        "permalink": f"https://www.instagram.com/reel/{shortcode(media_id)}/",
        "media_product_type": "REELS",
    }
    return Response(200, {"id": media_id})


def own_media(state: SandboxState, req: Request) -> Response:
    fields = {"id"} | {f.strip() for f in (req.arg("fields") or "id,caption").split(",")}
    limit = min(int(req.arg("limit") or 25), 100)
    mine = [m for m in state.published["instagram"].values() if m.get("published")]
    mine.sort(key=lambda m: float(m.get("epoch", 0)), reverse=True)
    data = [{k: v for k, v in m.items() if k in fields} for m in mine[:limit]]
    return Response(200, {"data": data})
