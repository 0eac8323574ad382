"""Real recorded platform answers, served in place of the seeded world's.

The sandbox's world is made up by this project; these pages are not: they were recorded from
the live APIs by other public projects (tests/harvester/realworld/README.md names each file's
origin and licence). A sandbox started with `replay={...}` answers with them, so the real
harvesters meet real answers over real HTTP:
- "x": recent search, one recorded page after the other;
- "youtube" and "youtube-channels": search.list, videos.list and channels.list from recorded
  video and channel resources;
- "facebook": the Page's tagged edge, one recorded Graph feed page after the other.

Changes made at serving time, and only these:
1. twarc's `__twarc` note (the URL it called) is left out: X does not send it.
2. An answer recorded from tweet lookup (GET /2/tweets) is served as a search page: its
   `meta` (newest_id, oldest_id, result_count) is computed from its `data`.
3. Each X page but the last links to the next (`next_token`, and `until_id` = its oldest_id,
   which is how the harvester pages); the last has no `next_token`.
4. YouTube search.list answers one page of every recorded video, newest first, in the
   envelope of a recorded search page (pyyoutube_search_by_developer.json); each item's
   snippet is the video's own (search results carry the same snippet fields, plus
   publishTime). No recording of a search page together with the videos it found exists,
   so the search is made from the videos; its q, publishedAfter and publishedBefore are
   not applied (the recordings predate any campaign).
5. videos.list and channels.list answer the recorded resources by id, with only the parts
   asked for (as the API does); an id not recorded is left out, as the API leaves out an
   id it does not know.
6. Recorded Graph feed pages are served as the tagged edge, with only the fields asked for
   (as Graph does); their `paging` (which points at graph.facebook.com with the recorder's
   token) is replaced by an `after` cursor and a `next` URL on the sandbox, the last page
   without `next`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def x_pages(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recorded X answers as a chain of recent-search pages (changes 1-3)."""
    pages = []
    for answer in answers:
        page = {k: v for k, v in answer.items() if k != "__twarc"}
        data = page["data"] if isinstance(page["data"], list) else [page["data"]]
        page["data"] = data
        ids = [int(t["id"]) for t in data]
        meta = {k: v for k, v in (page.get("meta") or {}).items() if k != "previous_token"}
        meta.setdefault("newest_id", str(max(ids)))
        meta.setdefault("oldest_id", str(min(ids)))
        meta.setdefault("result_count", len(data))
        page["meta"] = meta
        pages.append(page)
    for k, page in enumerate(pages):
        if k + 1 < len(pages):
            page["meta"]["next_token"] = f"replay-{k + 1}"
        else:
            page["meta"].pop("next_token", None)
    return pages


def x_search(pages: list[dict[str, Any]], next_token: str | None, until_id: str | None) -> Any:
    """The page a search asks for: by the token, or below the page whose oldest id it names."""
    index = 0
    if next_token and next_token.startswith("replay-"):
        index = int(next_token.removeprefix("replay-"))
    elif until_id:
        index = next(
            (k + 1 for k, p in enumerate(pages) if p["meta"]["oldest_id"] == until_id),
            len(pages),
        )
    if index >= len(pages):
        return {"meta": {"result_count": 0}}
    return pages[index]


def youtube_resources(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of recorded videos.list or channels.list answers (as recorded)."""
    return [item for answer in answers for item in answer.get("items", [])]


def youtube_search(
    videos: list[dict[str, Any]], envelope: dict[str, Any], size: int
) -> dict[str, Any]:
    """A search.list page of the recorded videos, newest first (change 4)."""
    newest_first = sorted(
        videos, key=lambda v: str((v.get("snippet") or {}).get("publishedAt", "")), reverse=True
    )
    items = []
    for video in newest_first[:size]:
        snippet = dict(video.get("snippet") or {})
        snippet = {
            k: snippet[k]
            for k in (
                "publishedAt",
                "channelId",
                "title",
                "description",
                "thumbnails",
                "channelTitle",
                "liveBroadcastContent",
            )
            if k in snippet
        }
        snippet["publishTime"] = snippet.get("publishedAt")
        items.append(
            {
                "kind": "youtube#searchResult",
                "etag": video.get("etag", ""),
                "id": {"kind": "youtube#video", "videoId": video["id"]},
                "snippet": snippet,
            }
        )
    return {
        "kind": envelope.get("kind", "youtube#searchListResponse"),
        "etag": envelope.get("etag", ""),
        "regionCode": envelope.get("regionCode", "US"),
        "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
        "items": items,
    }


def youtube_list(
    resources: list[dict[str, Any]], ids: list[str], parts: set[str], kind: str
) -> dict[str, Any]:
    """videos.list / channels.list of recorded resources, with the parts asked (change 5)."""
    by_id = {r["id"]: r for r in resources}
    items = [
        {k: v for k, v in by_id[i].items() if k in ("kind", "etag", "id") or k in parts}
        for i in ids
        if i in by_id
    ]
    return {
        "kind": kind,
        "etag": "replay",
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        "items": items,
    }


def facebook_page(
    pages: list[dict[str, Any]], after: str | None, next_url: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The recorded posts of the page an `after` cursor names, and its paging (change 6)."""
    index = 0
    if after and after.startswith("replay-"):
        index = int(after.removeprefix("replay-"))
    if index >= len(pages):
        return [], None
    posts = list(pages[index].get("data") or [])
    cursor = f"replay-{index + 1}"
    if index + 1 >= len(pages):
        return posts, {"cursors": {"before": f"replay-{index}", "after": cursor}}
    return posts, {
        "cursors": {"before": f"replay-{index}", "after": cursor},
        "next": f"{next_url}&after={cursor}" if "?" in next_url else f"{next_url}?after={cursor}",
    }
