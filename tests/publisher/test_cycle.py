"""One publish cycle posts each approved testimony once per target; the next posts nothing.
The dry run says exactly that beforehand, and calls nothing that changes anything."""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from tests.publisher.flow import approve_matched, by_state, creates, outbox
from tests.sandboxed import Setup

PLANNED = re.compile(r"^testimony (\d+) → (\w+): (.*)$")


def plan(setup: Setup) -> dict[tuple[int, str], str]:
    outcome = setup.cli("publish", "--dry-run")
    assert outcome.exit_code == 0, outcome.stderr
    if outcome.stdout.strip() == "nothing is due":
        return {}
    lines = outcome.stdout.splitlines()
    parsed = [PLANNED.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    return {(int(m[1]), m[2]): m[3] for m in parsed if m}


def page_feed(setup: Setup) -> list[dict[str, Any]]:
    answer = requests.get(
        f"{setup.base_url}/v25.0/100000000000001/feed",
        # a post's link is in its attachment (`link` on /feed is gone since Graph v3.3)
        params={"fields": "id,message,attachments{unshimmed_url}"},
        headers={"Authorization": "Bearer sandbox"},
        timeout=10,
    )
    return [
        {**p, "link": p["attachments"]["data"][0]["unshimmed_url"]} for p in answer.json()["data"]
    ]


def test_one_cycle_posts_once_per_testimony_and_target_and_the_next_posts_nothing(
    ready: Setup,
) -> None:
    approved = approve_matched(ready)
    # One whose form needs a person's check, approved with a recorded override.
    unsure = json.loads(ready.cli("queue", "--json", "--consent", "needs-check").stdout)
    assert unsure, "the sandbox campaign has a form that needs checking"
    overridden = int(unsure[0]["id"])
    outcome = ready.cli(
        "approve",
        str(overridden),
        "--override",
        "--reason",
        "form checked by phone",
        "--as",
        "lead",
    )
    assert outcome.exit_code == 0, outcome.stderr
    approved.append(overridden)
    queued = outbox(ready.db_url)
    assert {r.testimony_id for r in queued} == set(approved)
    assert len({(r.testimony_id, r.target) for r in queued}) == len(queued)

    before = ready.stats()
    planned = plan(ready)
    assert set(planned) == {(r.testimony_id, r.target) for r in queued}
    assert ready.stats()["writes"] == before["writes"], "the dry run changed something"
    to_post = {key for key, what in planned.items() if not what.startswith("skip (")}

    first = ready.cli("publish")
    assert first.exit_code == 0, first.stdout + first.stderr
    rows = outbox(ready.db_url)
    done = {(r.testimony_id, r.target) for r in rows if r.state == "done"}
    assert done == to_post, "what was posted is what the dry run said"
    assert {r.state for r in rows} == {"done", "skipped"}
    assert any(t == overridden for t, _ in done), "the override is honoured when publishing"
    assert all(r.skip_reason for r in rows if r.state == "skipped")

    after_first = ready.stats()
    posted = creates(after_first)
    expected = by_state(rows, "done")
    del expected["gallery"]  # the website gallery is a local file: no platform call
    assert posted == expected, "exactly one create call per (testimony, target)"
    assert len(after_first["retweets"]) == expected["x"]
    externals = [r.external_id for r in rows if r.state == "done"]
    assert len(set(externals)) == len(externals) and None not in externals

    # What the dry run described for the Page is what went out.
    described = {planned[k].removeprefix("Page post: ") for k in to_post if k[1] == "facebook"}
    assert described == {f"{p['message']} {p['link']}" for p in page_feed(ready)}

    second = ready.cli("publish")
    assert second.exit_code == 0, second.stderr
    assert second.stdout.strip() == "nothing was due"
    assert ready.stats()["writes"] == after_first["writes"]
    assert outbox(ready.db_url) == rows
    assert plan(ready) == {}
