"""The fields each Graph node has, and Graph's refusal of any other one.

Graph fails the whole request when `fields=` names a field the node does not have:
HTTP 400, code 100, "(#100) Tried accessing nonexisting field (x) on node type (Post)"
(the message as Graph users record it, e.g. "(#100) Tried accessing nonexisting field
(accounts) on node type (Page)"; developers.facebook.com/docs/graph-api/guides/error-handling
lists code 100 as an invalid parameter). A field Meta removed in a version is refused with
code 12: "(#12) link field is deprecated for versions v3.3 and higher" (as recorded by
Graph users since 2019).
"""

from __future__ import annotations

from dataclasses import dataclass

# developers.facebook.com/docs/graph-api/reference/post (fields and edges). `picture` is
# not listed there any more but is still answered (sns-sdks/python-facebook's recorded
# feed pages, shared/realworld/facebook/, asked for it on v10.0).
POST = frozenset(
    {
        "id",
        "actions",
        "admin_creator",
        "application",
        "backdated_time",
        "call_to_action",
        "coordinates",
        "created_time",
        "event",
        "from",
        "full_picture",
        "icon",
        "is_expired",
        "is_hidden",
        "is_popular",
        "is_published",
        "message",
        "message_tags",
        "parent_id",
        "permalink_url",
        "picture",
        "place",
        "privacy",
        "properties",
        "scheduled_publish_time",
        "shares",
        "status_type",
        "story",
        "story_tags",
        "targeting",
        "timeline_visibility",
        "updated_time",
        # edges, which `fields=` may expand
        "attachments",
        "comments",
        "reactions",
        "likes",
        "sharedposts",
        "insights",
        "to",
    }
)
# The Post reference, "Limitations": "The following fields for /page/feed, /page/posts,
# /pageposts, and /page/published_posts were deprecated in v3.3: caption, description,
# link, name, object_id, source, type".
POST_DEPRECATED_V3_3 = ("caption", "description", "link", "name", "object_id", "source", "type")
# developers.facebook.com/docs/graph-api/reference/story-attachment (the same list
# sns-sdks/python-facebook's recorded feed asked for: attachments{description,
# description_tags,media,media_type,target,title,type,unshimmed_url,url,subattachments})
ATTACHMENT = frozenset(
    {
        "description",
        "description_tags",
        "media",
        "media_type",
        "target",
        "title",
        "type",
        "unshimmed_url",
        "url",
        "subattachments",
    }
)
# developers.facebook.com/docs/graph-api/reference/video (a video's length is here, in
# seconds; a post's attachment does not carry it)
VIDEO = frozenset(
    {
        "id",
        "created_time",
        "description",
        "embed_html",
        "format",
        "from",
        "length",
        "permalink_url",
        "picture",
        "place",
        "published",
        "source",
        "status",
        "title",
        "updated_time",
    }
)
NESTED = {"attachments": ("StoryAttachment", ATTACHMENT)}


@dataclass(frozen=True)
class Refusal:
    code: int
    message: str


def top_level(fields: str) -> list[str]:
    """`a,b{c,d},e.limit(0)` → ['a', 'b{c,d}', 'e.limit(0)']: commas outside braces."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(fields):
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(fields[start:i])
            start = i + 1
    parts.append(fields[start:])
    return [p.strip() for p in parts if p.strip()]


def _name(part: str) -> tuple[str, str | None]:
    """A requested field's name and, for `attachments{...}`, what is asked inside."""
    name = part
    for stop in "{.":
        name = name.split(stop, 1)[0]
    inner = None
    if "{" in part and part.endswith("}"):
        inner = part[part.index("{") + 1 : -1]
    return name.strip(), inner


def refusal(
    fields: str | None, node: str, known: frozenset[str], deprecated: tuple[str, ...] = ()
) -> Refusal | None:
    """What Graph answers to `fields=` on a node of this type, if it refuses it."""
    if not fields:
        return None
    asked = [_name(part) for part in top_level(fields)]
    gone = [name for name, _ in asked if name in deprecated]
    if gone:
        return Refusal(
            12, f"(#12) {' & '.join(gone)} field is deprecated for versions v3.3 and higher"
        )
    for name, inner in asked:
        if name not in known:
            return Refusal(
                100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
            )
        if inner is not None and name in NESTED:
            sub_node, sub_known = NESTED[name]
            found = refusal(inner, sub_node, sub_known)
            if found is not None:
                return found
    return None
