"""Real recorded platform answers, served in place of the seeded world's.

The sandbox's world is made up by this project; these pages are not: they were recorded from
the live APIs by other public projects (twarc2 for X: DocNow/twarc-csv test-data, MIT). A
sandbox started with `replay={"x": pages}` answers recent search with them, one page after
the other, so the real harvester meets real answers over real HTTP.

Changes made at serving time, and only these:
1. twarc's `__twarc` note (the URL it called) is left out: X does not send it.
2. An answer recorded from tweet lookup (GET /2/tweets) is served as a search page: its
   `meta` (newest_id, oldest_id, result_count) is computed from its `data`.
3. Each page but the last links to the next (`next_token`, and `until_id` = its oldest_id,
   which is how the harvester pages); the last has no `next_token`.
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
