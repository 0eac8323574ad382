"""X API v2 as tweepy calls it: recent search, lookup, users/me, retweets, tweets, media.

Shapes follow X's OpenAPI document and tweepy's recorded answers: every tweet carries
edit_history_tweet_ids, every answer rate-limit headers, 429 past the 15-minute window.

X as it is in 2026 (sources in docs/platform-notes.md):
- `text` carries `&amp; &lt; &gt;` escaped (the data dictionary's own example does) and, for a
  long post, only its first 280 characters; the whole post is in `note_tweet` (asked for in
  tweet.fields) with its own entities.
- an edit is a new post id; `edit_history_tweet_ids` starts with the original id and search
  shows the latest version (docs.x.com/x-api/fundamentals/edit-posts).
- recent search covers 7 days: an older `since_id` is refused with 400 (answer recorded by
  many clients: "'since_id' must be a tweet id created after ...").
- `withheld` (country codes) when asked; media `type` animated_gif is not a video.
- pay-per-use: every post read costs a credit; with none left the answer is 402
  CreditsDepleted (reported by X API users in 2026, e.g. tomato414941/x-agent-manager#85).
- quote posts were removed from every self-serve tier on 2026-04-20 (X API changelog,
  2026-04-16); retweets are limited to 50 per 15 minutes per user (docs rate-limits table).
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Set
from datetime import timedelta
from typing import Any

from sandbox.constants import X_ACCOUNT_ID, X_ACCOUNT_USERNAME
from sandbox.server import Request, Response, SandboxState, error
from sandbox.world import WorldPost, post_url

WINDOW = 15 * 60
# docs.x.com/x-api/fundamentals/rate-limits: POST/DELETE /2/users/:id/retweets 50/15min per user
LIMITS = {"search": 450, "lookup": 300, "write": 300, "me": 75, "retweet": 50}
PROBLEM = "https://api.twitter.com/2/problems/"
NOTE_CUT = 280  # `text` of a long post: its first 280 characters; `note_tweet` has the rest
READS = ("search", "lookup")  # post reads: charged per post returned under pay-per-use
WRITES = ("write", "retweet")  # writes: charged per request (docs.x.com pricing page)


def escape(text: str) -> str:
    """As X sends `text`: &, < and > as HTML entities (quotes are left alone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def handle(state: SandboxState, req: Request) -> Response:
    if "authorization" not in req.headers:
        return error(
            401,
            {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
        )
    parts = [p for p in req.path.split("/") if p][1:]
    bucket = _bucket(req.method, parts)
    limit = state.x_search_limit if bucket == "search" else LIMITS.get(bucket, 300)
    # user-context limits are per user: the retweet window is the account's own
    owner = f" {user_id(req)}" if bucket == "retweet" else ""
    limited, headers = _rate(state, f"{req.method} {bucket}{owner}", limit)
    if limited:
        return error(
            429,
            {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
            headers,
        )
    metered = bucket in READS + WRITES and state.x_credits is not None
    if metered and state.x_credits is not None and state.x_credits <= 0:
        return error(
            402,
            {
                "title": "CreditsDepleted",
                "detail": "Your enrolled account does not have any credits to fulfill this "
                "request.",
                "type": PROBLEM + "credits",
            },
            headers,
        )
    response = _route(state, req, parts)
    response.headers.update(headers)
    if bucket in READS and response.status == 200:
        state.x_posts_read += _posts_in(response)
    if metered and state.x_credits is not None and response.status in (200, 201):
        spent = _posts_in(response) if bucket in READS else 1
        state.x_credits = max(state.x_credits - spent, 0)
    return response


def _posts_in(response: Response) -> int:
    """Posts an answer returned (what pay-per-use charges for)."""
    body = json.loads(response.raw) if response.raw is not None else response.body or {}
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict):
        return 1
    return len(data) if isinstance(data, list) else 0


def _bucket(method: str, parts: list[str]) -> str:
    if parts[:3] == ["tweets", "search", "recent"]:
        return "search"
    if parts[:2] == ["users", "me"]:
        return "me"
    if len(parts) >= 3 and parts[0] == "users" and parts[2] == "retweets" and method != "GET":
        return "retweet"
    return "lookup" if method == "GET" else "write"


def _rate(state: SandboxState, key: str, limit: int) -> tuple[bool, dict[str, str]]:
    now = int(state.epoch())
    start, count = state.windows.get(key, (now, 0))
    if now >= start + WINDOW:
        start, count = now, 0
    count += 1
    state.windows[key] = (start, count)
    headers = {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(max(limit - count, 0)),
        "x-rate-limit-reset": str(start + WINDOW),
    }
    return count > limit, headers


def user_id(req: Request) -> str:
    """The authenticated account: X's user-context tokens start with the user id."""
    match = re.search(r'oauth_token="(\d+)-', req.headers.get("authorization", ""))
    return match.group(1) if match else X_ACCOUNT_ID


def _route(state: SandboxState, req: Request, parts: list[str]) -> Response:
    m = req.method
    if m == "GET" and parts[:3] == ["tweets", "search", "recent"]:
        return search_recent(state, req)
    if m == "GET" and parts == ["tweets"]:
        return lookup(state, req, (req.arg("ids") or "").split(","), "ids")
    if m == "GET" and len(parts) == 3 and parts[0] == "tweets" and parts[2] == "retweeted_by":
        return retweeted_by(state, req, parts[1])
    if m == "GET" and len(parts) == 2 and parts[0] == "tweets":
        return lookup(state, req, [parts[1]], "id", single=True)
    if m == "GET" and parts == ["users", "me"]:
        return Response(
            200,
            {
                "data": {
                    "id": user_id(req),
                    "name": "storydesk demo",
                    "username": X_ACCOUNT_USERNAME,
                }
            },
        )
    if m == "POST" and len(parts) == 3 and parts[0] == "users" and parts[2] == "retweets":
        return retweet(state, req, parts[1])
    if m == "DELETE" and len(parts) == 4 and parts[2] == "retweets":
        state.retweets.discard(parts[3])
        return Response(200, {"data": {"retweeted": False}})
    if m == "GET" and len(parts) == 3 and parts[0] == "users" and parts[2] == "tweets":
        return user_tweets(state, req, parts[1])
    if m == "POST" and parts == ["tweets"]:
        return create_tweet(state, req)
    if m == "DELETE" and len(parts) == 2 and parts[0] == "tweets":
        existed = state.published["x"].pop(parts[1], None) is not None
        return Response(200, {"data": {"deleted": existed}})
    if parts[:2] == ["media", "upload"]:
        return media_upload(state, req, parts[2:])
    return error(404, {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]})


def _invalid(parameter: str, value: str, message: str) -> Response:
    return error(
        400,
        {
            "errors": [{"parameters": {parameter: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": PROBLEM + "invalid-request",
        },
    )


def _matching(state: SandboxState, query: str) -> list[WorldPost]:
    tags = tuple(sorted(t.lower() for t in re.findall(r"#(\w+)", query)))

    def build() -> list[WorldPost]:
        found = [
            p
            for p in state.world.posts
            if p.platform == "x" and (not tags or any(f"#{t}" in p.text.lower() for t in tags))
        ]
        # an edited post shows in search as its latest version, placed by that version's id
        return sorted(found, key=lambda p: int(p.latest_id), reverse=True)

    return state.cached(("x-search", tags), build)  # type: ignore[no-any-return]


def _matching_keys(state: SandboxState, query: str) -> list[int]:
    """The matching tweets' ids, negated: ascending, for bisect (the list is newest first)."""
    tags = tuple(sorted(t.lower() for t in re.findall(r"#(\w+)", query)))
    return state.cached(  # type: ignore[no-any-return]
        ("x-search-keys", tags), lambda: [-int(p.latest_id) for p in _matching(state, query)]
    )


def search_recent(state: SandboxState, req: Request) -> Response:
    query = req.arg("query")
    if not query:
        return _invalid("query", "", "The `query` query parameter can not be empty")
    if state.replay.get("x"):  # real recorded pages instead of the world
        from sandbox.replay import x_search

        token = req.arg("next_token") or req.arg("pagination_token")
        return Response(200, x_search(state.replay["x"], token, req.arg("until_id")))
    raw_max = req.arg("max_results", "10") or "10"
    if not raw_max.isdigit() or not 10 <= int(raw_max) <= 100:
        return _invalid(
            "max_results",
            raw_max,
            f"The `max_results` query parameter value [{raw_max}] is not between 10 and 100",
        )
    if conversation := re.search(r"conversation_id:(\d+)", query):
        return _conversation(state, req, conversation.group(1), query, int(raw_max))
    since = int(req.arg("since_id") or 0)
    until = int(req.arg("until_id") or 0) or None
    oldest = state.now() - timedelta(days=7)
    aged = _newest_aged_out(state, oldest)
    if since and aged is not None and since <= aged:
        return _invalid(
            "since_id",
            str(since),
            f"'since_id' must be a tweet id created after {oldest:%Y-%m-%dT%H:%MZ}. "
            f"Please use a 'since_id' that is larger than {aged}",
        )
    token = req.arg("next_token") or req.arg("pagination_token")
    before = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else None
    matching, keys = _matching(state, query), _matching_keys(state, query)
    # From the first tweet older than the token and until_id to the last newer than since_id
    # and the 7 days: bisects, not scans, so deep pages of a large world cost what the first
    # does. Ids grow with time, so the 7 days are an id bound too.
    bounds = [b for b in (before, until) if b is not None]
    start = bisect_right(keys, -min(bounds)) if bounds else 0
    end = bisect_left(keys, -since) if since else len(keys)
    size = int(raw_max)
    page: list[WorldPost] = []
    more = False
    for post in itertools.islice(matching, start, end):
        if post.published_at < oldest:
            break
        if post.state != "available":
            continue
        if len(page) == size:
            more = True
            break
        page.append(post)
    if not page:
        return Response(200, {"meta": {"result_count": 0}})
    meta: dict[str, Any] = {
        "newest_id": page[0].latest_id,
        "oldest_id": page[-1].latest_id,
        "result_count": len(page),
    }
    if more:
        meta["next_token"] = base64.urlsafe_b64encode(page[-1].latest_id.encode()).decode()
    return Response(200, raw=_page_bytes(state, req, page, meta))


def _newest_aged_out(state: SandboxState, oldest: Any) -> int | None:
    """The newest post id older than the 7 days recent search covers (ids grow with time)."""
    ids = [
        int(p.latest_id) for p in state.world.posts if p.platform == "x" and p.published_at < oldest
    ]
    return max(ids) if ids else None


def _fields(req: Request, name: str) -> set[str]:
    return {f for f in (req.arg(name) or "").split(",") if f}


Spec = tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]


def _spec(req: Request) -> Spec:
    return (
        frozenset(_fields(req, "tweet.fields")),
        frozenset(_fields(req, "expansions")),
        frozenset(_fields(req, "user.fields")),
        frozenset(_fields(req, "media.fields")),
    )


def _render_one(
    state: SandboxState, spec: Spec, post: WorldPost
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    """One tweet as asked for, with its author and its media when expanded."""
    tweet_fields, expansions, user_fields, media_fields = spec
    person = state.world.people[post.person]
    long = len(post.text) > NOTE_CUT
    tweet: dict[str, Any] = {
        "id": post.latest_id,
        "text": escape(post.text[:NOTE_CUT] if long else post.text),
        "edit_history_tweet_ids": post.version_ids,
    }
    full = _full_tweet(post, person.ids["x"])
    if long and "note_tweet" in tweet_fields:
        full["note_tweet"] = {"text": escape(post.text), "entities": _entities(post, post.text)}
    if long:
        full["entities"] = _entities(post, post.text[:NOTE_CUT])
        if not full["entities"]:
            del full["entities"]
    for name in sorted(tweet_fields | ({"author_id"} if "author_id" in expansions else set())):
        if name in full:
            tweet[name] = full[name]
    media = None
    if "attachments.media_keys" in expansions and "attachments" in full:
        tweet["attachments"] = full["attachments"]
        media = _media(post, media_fields)
    if "author_id" not in expansions:
        return tweet, None, media
    user: dict[str, Any] = {
        "id": person.ids["x"],
        "name": person.full_name,
        "username": person.handles["x"],
    }
    if "created_at" in user_fields:
        user["created_at"] = "2015-01-01T00:00:00.000Z"
    if "verified" in user_fields:
        user["verified"] = False
    return tweet, user, media


def render(
    state: SandboxState, req: Request, posts: list[WorldPost], ids: list[str] | None = None
) -> dict[str, Any]:
    """Posts as asked for; `ids` names the version looked up: an earlier version of an
    edited post comes back as it was, under its own id (X returns the version asked for)."""
    spec = _spec(req)
    data, users, media = [], {}, []
    for k, post in enumerate(posts):
        tweet, user, item = _render_one(state, spec, _as_version(post, ids[k] if ids else None))
        data.append(tweet)
        if user is not None:
            users[user["id"]] = user
        if item is not None:
            media.append(item)
    body: dict[str, Any] = {"data": data}
    includes: dict[str, Any] = {}
    if users:
        includes["users"] = list(users.values())
    if media:
        includes["media"] = media
    if includes:
        body["includes"] = includes
    return body


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _page_bytes(
    state: SandboxState, req: Request, page: list[WorldPost], meta: dict[str, Any]
) -> bytes:
    """What render() + json.dumps would give, from per-tweet pieces encoded once.

    Posts do not change once made (a deletion only leaves them out, and every change to the
    world clears the cache), so a harvest walking the same world again pays only for joins.
    """
    spec = _spec(req)
    data: list[bytes] = []
    users: dict[str, bytes] = {}
    media: list[bytes] = []
    pieces: dict[str, tuple[bytes, str | None, bytes | None, bytes | None]]
    pieces = state.cached(("x-pieces", spec), dict)
    for post in page:
        piece = pieces.get(post.native_id)
        if piece is None:
            rendered, author, expanded = _render_one(state, spec, post)
            piece = pieces[post.native_id] = (
                _encode(rendered),
                author["id"] if author else None,
                _encode(author) if author else None,
                _encode(expanded) if expanded else None,
            )
        tweet, user_id, user, item = piece
        data.append(tweet)
        if user_id is not None and user is not None:
            users[user_id] = user
        if item is not None:
            media.append(item)
    out = [b'{"data":[', b",".join(data), b"]"]
    includes = []
    if users:
        includes.append(b'"users":[' + b",".join(users.values()) + b"]")
    if media:
        includes.append(b'"media":[' + b",".join(media) + b"]")
    if includes:
        out += [b',"includes":{', b",".join(includes), b"}"]
    out += [b',"meta":', _encode(meta), b"}"]
    return b"".join(out)


def _entities(post: WorldPost, text: str) -> dict[str, Any]:
    entities: dict[str, Any] = {}
    tags = [
        {"start": m.start(), "end": m.end(), "tag": m.group(1)}
        for m in re.finditer(r"#(\w+)", text)
    ]
    mentions = [
        {"start": m.start(), "end": m.end(), "username": m.group(1)}
        for m in re.finditer(r"@(\w+)", text)
    ]
    urls = [
        {
            "start": text.index(u),
            "end": text.index(u) + len(u),
            "url": u,
            "expanded_url": u,
            "display_url": u.split("//", 1)[-1][:26],
        }
        for u in post.links
        if u in text
    ]
    if tags:
        entities["hashtags"] = tags
    if mentions:
        entities["mentions"] = mentions
    if urls:
        entities["urls"] = urls
    return entities


def _full_tweet(post: WorldPost, author_id: str) -> dict[str, Any]:
    entities = _entities(post, post.text)
    full: dict[str, Any] = {
        "author_id": author_id,
        "created_at": post.published_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "lang": "en",
        "conversation_id": post.native_id,
        "possibly_sensitive": False,
        "public_metrics": {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": 3,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 41,
        },
    }
    if entities:
        full["entities"] = entities
    if post.withheld:
        full["withheld"] = {"copyright": False, "country_codes": list(post.withheld)}
    if post.is_video:
        prefix = "16" if post.media_kind == "animated_gif" else "7"
        full["attachments"] = {"media_keys": [f"{prefix}_{post.native_id}"]}
    return full


def _media(post: WorldPost, fields: Set[str]) -> dict[str, Any]:
    if post.media_kind == "animated_gif":  # a looping GIF: no duration, one mp4 variant
        gif: dict[str, Any] = {"media_key": f"16_{post.native_id}", "type": "animated_gif"}
        if "preview_image_url" in fields:
            gif["preview_image_url"] = (
                f"https://pbs.twimg.com/tweet_video_thumb/{post.native_id}.jpg"
            )
        if "variants" in fields:
            gif["variants"] = [
                {
                    "bit_rate": 0,
                    "content_type": "video/mp4",
                    "url": f"https://video.twimg.com/tweet_video/{post.native_id}.mp4",
                }
            ]
        return gif
    item: dict[str, Any] = {"media_key": f"7_{post.native_id}", "type": "video"}
    if "duration_ms" in fields and post.duration is not None:
        item["duration_ms"] = int(post.duration * 1000)
    if "preview_image_url" in fields:
        item["preview_image_url"] = (
            f"https://pbs.twimg.com/ext_tw_video_thumb/{post.native_id}/pu/img/x.jpg"
        )
    if "variants" in fields:
        item["variants"] = [
            {
                "bit_rate": 832000,
                "content_type": "video/mp4",
                "url": f"https://video.twimg.com/ext_tw_video/{post.native_id}/vid/640x640/v.mp4",
            }
        ]
    if "width" in fields:
        item["width"] = 640
    if "height" in fields:
        item["height"] = 640
    return item


def _index(state: SandboxState) -> dict[str, WorldPost]:
    # every version of an edited post is found by its own id
    return state.cached(  # type: ignore[no-any-return]
        "x-index",
        lambda: {v: p for p in state.world.posts if p.platform == "x" for v in p.version_ids},
    )


def _as_version(post: WorldPost, version: str | None) -> WorldPost:
    if version is None or version == post.latest_id or version not in post.version_ids:
        return post
    k = post.version_ids.index(version)
    return dataclasses.replace(post, text=post.old_texts[k], edits=post.edits[:k])


def lookup(
    state: SandboxState, req: Request, ids: list[str], parameter: str, single: bool = False
) -> Response:
    if not ids or ids == [""] or len(ids) > 100:
        return _invalid(
            parameter,
            ",".join(ids),
            "The number of values in the `ids` query parameter list [0] is not between 1 and 100",
        )
    index = _index(state)
    found, errors, versions = [], [], []
    for tid in ids:
        post = index.get(tid)
        if post is not None and post.state == "available":
            found.append(post)
            versions.append(tid)
        elif post is not None and post.state in ("protected", "private"):
            errors.append(
                {
                    "value": tid,
                    "detail": f"Sorry, you are not authorized to see the "
                    f"Tweet with {parameter}: [{tid}].",
                    "title": "Authorization Error",
                    "resource_type": "tweet",
                    "parameter": parameter,
                    "resource_id": tid,
                    "section": "data",
                    "type": PROBLEM + "not-authorized-for-resource",
                }
            )
        else:
            errors.append(
                {
                    "value": tid,
                    "detail": f"Could not find tweet with {parameter}: [{tid}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": parameter,
                    "resource_id": tid,
                    "type": PROBLEM + "resource-not-found",
                }
            )
    body: dict[str, Any] = {}
    if found:
        rendered = render(state, req, found, versions)
        body["data"] = rendered["data"][0] if single else rendered["data"]
        if "includes" in rendered:
            body["includes"] = rendered["includes"]
    if errors:
        body["errors"] = errors
    return Response(200, body)


def retweet(state: SandboxState, req: Request, account: str) -> Response:
    payload = req.json() or {}
    tweet_id = str(payload.get("tweet_id", ""))
    if account != user_id(req):
        return error(
            403,
            {
                "title": "Forbidden",
                "type": "about:blank",
                "status": 403,
                "detail": "You are not permitted to perform this action.",
            },
        )
    post = _index(state).get(tweet_id)
    if post is None or post.state != "available":
        return error(
            400,
            {
                "errors": [
                    {
                        "parameters": {"tweet_id": [tweet_id]},
                        "message": "The `tweet_id` is not a valid Tweet",
                    }
                ],
                "title": "Invalid Request",
                "type": PROBLEM + "invalid-request",
                "detail": "One or more parameters to your request was invalid.",
            },
        )
    state.retweets.add(tweet_id)
    return Response(200, {"data": {"retweeted": True}})


def retweeted_by(state: SandboxState, req: Request, tweet_id: str) -> Response:
    if tweet_id not in state.retweets:
        return Response(200, {"meta": {"result_count": 0}})
    return Response(
        200,
        {
            "data": [
                {"id": user_id(req), "name": "storydesk demo", "username": X_ACCOUNT_USERNAME}
            ],
            "meta": {"result_count": 1},
        },
    )


def _conversation(
    state: SandboxState, req: Request, conversation: str, query: str, size: int
) -> Response:
    """`conversation_id:ID [from:USER]`: the replies in a thread, newest first
    (docs.x.com/x-api/fundamentals/conversation-id: the operator retrieves all posts of a
    thread; replies carry conversation_id, in_reply_to_user_id and referenced_tweets)."""
    author = re.search(r"from:(\w+)", query)
    found = [
        r
        for r in state.replies["x"]
        if r["conversation_id"] == conversation
        and (author is None or r["username"].lower() == author.group(1).lower())
    ]
    found.sort(key=lambda r: int(r["id"]), reverse=True)
    token = req.arg("next_token") or req.arg("pagination_token")
    start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    page = found[start : start + size]
    if not page:
        return Response(200, {"meta": {"result_count": 0}})
    fields = _fields(req, "tweet.fields") | {"id", "text", "edit_history_tweet_ids"}
    if "author_id" in _fields(req, "expansions"):
        fields.add("author_id")
    data = [{k: v for k, v in r.items() if k in fields} for r in page]
    meta: dict[str, Any] = {
        "newest_id": page[0]["id"],
        "oldest_id": page[-1]["id"],
        "result_count": len(page),
    }
    if start + size < len(found):
        meta["next_token"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    body: dict[str, Any] = {"data": data, "meta": meta}
    if "author_id" in _fields(req, "expansions"):
        users = {r["author_id"]: r["username"] for r in page}
        body["includes"] = {
            "users": [{"id": i, "name": u, "username": u} for i, u in users.items()]
        }
    return Response(200, body)


def add_reply(
    state: SandboxState, parent_id: str, author_id: str, username: str, text: str
) -> dict[str, Any] | None:
    """A reply under a tweet (or under a reply), in the thread of the tweet that began it."""
    parent = _index(state).get(parent_id)
    if parent is not None:
        conversation = parent.native_id
        to_user = state.world.people[parent.person].ids["x"]
    else:
        earlier = next((r for r in state.replies["x"] if r["id"] == parent_id), None)
        if earlier is None:
            return None
        conversation, to_user = earlier["conversation_id"], earlier["author_id"]
    new_id = str(1_950_000_000_000_000_000 + len(state.replies["x"]) * 4096)
    reply = {
        "id": new_id,
        "text": text,
        "edit_history_tweet_ids": [new_id],
        "author_id": author_id,
        "username": username,
        "conversation_id": conversation,
        "in_reply_to_user_id": to_user,
        "referenced_tweets": [{"type": "replied_to", "id": parent_id}],
        "created_at": state.now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    state.replies["x"].append(reply)
    return reply


def _reply(state: SandboxState, req: Request, text: str, parent_id: str) -> Response:
    """POST /2/tweets with reply.in_reply_to_tweet_id. Since 24 February 2026 X lets
    self-serve apps reply only to a post whose author mentions (or quotes) the replying
    account (X developer update, reported at odaily.news/en/newsflash/469433): 403 otherwise."""
    post = _index(state).get(parent_id)
    if post is None or post.state != "available":
        return _invalid(
            "reply.in_reply_to_tweet_id",
            parent_id,
            "The `reply.in_reply_to_tweet_id` is not a valid Tweet",
        )
    if f"@{X_ACCOUNT_USERNAME}".lower() not in post.text.lower():
        return error(
            403,
            {
                "detail": "Reply to this conversation is not allowed because you have not "
                "been mentioned or otherwise engaged by the author of the post you are "
                "replying to.",
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
            },
        )
    if any(r["text"] == text for r in state.replies["x"]):
        return error(
            403,
            {
                "detail": "You are not allowed to create a Tweet with duplicate content.",
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
            },
        )
    reply = add_reply(state, parent_id, user_id(req), X_ACCOUNT_USERNAME, text)
    assert reply is not None
    state.reply_counts["x"] += 1
    return Response(
        201, {"data": {"id": reply["id"], "text": text, "edit_history_tweet_ids": [reply["id"]]}}
    )


def create_tweet(state: SandboxState, req: Request) -> Response:
    payload = req.json() or {}
    text = str(payload.get("text", ""))
    if payload.get("quote_tweet_id") and not state.x_quote_access:
        # Removed from self-serve tiers on 2026-04-20 (X API changelog). No recorded answer
        # was found: a 403 problem like X's other tier refusals.
        return error(
            403,
            {
                "title": "Forbidden",
                "type": "about:blank",
                "status": 403,
                "detail": "Quote posts are not available on your access tier.",
            },
        )
    if not text and not payload.get("media"):
        return _invalid("text", "", "The `text` field is required")
    if len(text) > 280:
        return error(
            400,
            {
                "errors": [{"message": "Text is too long"}],
                "title": "Invalid Request",
                "type": PROBLEM + "invalid-request",
                "detail": "One or more parameters to your request was invalid.",
            },
        )
    parent = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
    if parent:
        return _reply(state, req, text, str(parent))
    if any(t["text"] == text for t in state.published["x"].values()):
        return error(
            403,
            {
                "detail": "You are not allowed to create a Tweet with duplicate content.",
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
            },
        )
    new_id = str(1_900_000_000_000_000_000 + len(state.writes) * 4096 + len(state.published["x"]))
    state.published["x"][new_id] = {
        "id": new_id,
        "text": text,
        "quote_tweet_id": payload.get("quote_tweet_id"),
    }
    return Response(201, {"data": {"id": new_id, "text": text, "edit_history_tweet_ids": [new_id]}})


def user_tweets(state: SandboxState, req: Request, account: str) -> Response:
    if account != user_id(req) or not state.published["x"]:
        return Response(200, {"meta": {"result_count": 0}})
    tweets = sorted(state.published["x"].values(), key=lambda t: int(t["id"]), reverse=True)[:100]
    data = [{"id": t["id"], "text": t["text"], "edit_history_tweet_ids": [t["id"]]} for t in tweets]
    return Response(
        200,
        {
            "data": data,
            "meta": {
                "result_count": len(data),
                "newest_id": data[0]["id"],
                "oldest_id": data[-1]["id"],
            },
        },
    )


def media_upload(state: SandboxState, req: Request, rest: list[str]) -> Response:
    media = state.published["x-media"]
    if req.method == "GET":
        media_id = req.arg("media_id") or ""
        if media_id not in media:
            return error(400, {"errors": [{"message": "Invalid media_id"}]})
        return Response(
            200,
            {
                "data": {
                    "id": media_id,
                    "media_key": f"7_{media_id}",
                    "processing_info": {"state": "succeeded", "progress_percent": 100},
                }
            },
        )
    if not rest or rest == ["initialize"]:
        media_id = str(1_880_000_000_000_000_000 + len(media))
        media[media_id] = {"state": "initialized" if rest else "succeeded"}
        body: dict[str, Any] = {
            "id": media_id,
            "media_key": f"7_{media_id}",
            "expires_after_secs": 86400,
        }
        if not rest:
            body["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        return Response(200, {"data": body})
    media_id = rest[0]
    if media_id not in media:
        return error(400, {"errors": [{"message": "Invalid media_id"}]})
    if rest[1:] == ["append"]:  # 200 with the session's expiry, as X's OpenAPI document says
        return Response(200, {"data": {"expires_at": int(state.epoch()) + 86400}})
    media[media_id]["state"] = "succeeded"
    return Response(
        200,
        {
            "data": {
                "id": media_id,
                "media_key": f"7_{media_id}",
                "size": 1024,
                "expires_after_secs": 86400,
                "processing_info": {"state": "succeeded", "progress_percent": 100},
            }
        },
    )


def url_of(state: SandboxState, post: WorldPost) -> str:
    return post_url(post, state.world.people[post.person].handles["x"])
