"""`storydesk queue`: the most actionable testimonies first, one row per testimony, filters,
the JSON contract of DESIGN.md, and plain text when the output is not a terminal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import review.queue
from db import models
from tests.review.conftest import as_user, opened, queue_json, rank
from tests.sandboxed import Setup

DESIGN_FIELDS = {
    "id",
    "platform",
    "native_id",
    "url",
    "author",
    "text",
    "published_at",
    "duration_seconds",
    "consent",
    "consent_id",
    "review",
    "problems",
    "copies",
}


def test_every_testimony_once_ready_ones_first_then_needs_check_then_the_rest(
    harvested: Setup,
) -> None:
    items = queue_json(harvested, "--status", "all", "--limit", "0")
    ranks = [rank(i) for i in items]
    assert ranks == sorted(ranks), [(i["id"], i["consent"], i["problems"]) for i in items]
    assert set(ranks) == {0, 1, 2}  # the sandbox campaign has all three kinds
    for bucket in (0, 1, 2):
        ids = [i["id"] for i in items if rank(i) == bucket]
        assert ids == sorted(ids)  # a stable order inside each group
    with opened(harvested) as session:
        posts = session.execute(
            select(models.Post.testimony_id, models.Post.platform, models.Post.native_id)
        ).all()
    assert {i["id"] for i in items} == {p.testimony_id for p in posts}
    assert len(items) == len({i["id"] for i in items})
    copies = [(c["platform"], c["native_id"]) for i in items for c in i["copies"]]
    assert sorted(copies) == sorted((p.platform, p.native_id) for p in posts)


def test_a_testimony_linked_across_platforms_is_one_item_listing_its_platforms(
    harvested: Setup,
) -> None:
    items = queue_json(harvested, "--status", "all", "--limit", "0")
    linked = [i for i in items if len({c["platform"] for c in i["copies"]}) > 1]
    assert linked, "the sandbox cross-posts some testimonies"
    with opened(harvested) as session:
        for item in linked:
            rows = session.execute(
                select(models.Post.platform, models.Post.native_id, models.Post.url).where(
                    models.Post.testimony_id == item["id"]
                )
            ).all()
            assert sorted(map(tuple, rows)) == sorted(
                (c["platform"], c["native_id"], c["url"]) for c in item["copies"]
            )
            assert item["platforms"] == list(dict.fromkeys(c["platform"] for c in item["copies"]))
            first = item["copies"][0]
            assert (item["platform"], item["native_id"], item["url"]) == (
                first["platform"],
                first["native_id"],
                first["url"],
            )


def test_json_is_one_array_of_items_with_the_fields_design_promises(harvested: Setup) -> None:
    items = queue_json(harvested)  # json.loads of the whole stdout: nothing else is there
    assert 0 < len(items) <= 50
    with opened(harvested) as session:
        forms = dict(
            session.execute(
                select(models.Testimony.id, models.ConsentRecord.response_id).join(
                    models.ConsentRecord, models.ConsentRecord.id == models.Testimony.consent_id
                )
            ).all()
        )
    for item in items:
        assert DESIGN_FIELDS <= item.keys()
        assert item["review"] == "pending"
        assert item["consent"] in ("none", "matched", "needs-check", "guardian-required")
        assert item["consent_id"] == forms.get(item["id"])
        assert isinstance(item["problems"], list)
        assert all(set(c) == {"platform", "native_id", "url"} for c in item["copies"])
        assert item["url"].startswith("https://")
    assert any(i["consent_id"] is None for i in items) and any(i["consent_id"] for i in items)


def test_filters_status_platform_consent_and_limit(harvested: Setup) -> None:
    everything = queue_json(harvested, "--limit", "0")
    on_instagram = queue_json(harvested, "--platform", "instagram", "--limit", "0")
    assert [i["id"] for i in on_instagram] == [
        i["id"] for i in everything if "instagram" in i["platforms"]
    ]
    assert on_instagram and all(
        any(c["platform"] == "instagram" for c in i["copies"]) for i in on_instagram
    )
    to_check = queue_json(harvested, "--consent", "needs-check", "--limit", "0")
    assert to_check and [i["id"] for i in to_check] == [
        i["id"] for i in everything if i["consent"] == "needs-check"
    ]
    assert [i["id"] for i in queue_json(harvested, "--limit", "3")] == [
        i["id"] for i in everything[:3]
    ]

    first, second = everything[0]["id"], everything[1]["id"]
    assert as_user(harvested, "approve", str(first)).exit_code == 0
    assert as_user(harvested, "hold", str(second), "--note", "ask the school").exit_code == 0
    assert [i["id"] for i in queue_json(harvested, "--status", "approved")] == [first]
    assert [i["id"] for i in queue_json(harvested, "--status", "held")] == [second]
    assert queue_json(harvested, "--status", "rejected") == []
    pending = [i["id"] for i in queue_json(harvested, "--limit", "0")]
    assert pending == [i["id"] for i in everything if i["id"] not in (first, second)]
    every = queue_json(harvested, "--status", "all", "--limit", "0")
    assert {i["id"]: i["review"] for i in every if i["id"] in (first, second)} == {
        first: "approved",
        second: "held",
    }


def test_unknown_filter_values_are_usage_errors(harvested: Setup) -> None:
    for args in (
        ("--status", "done"),
        ("--platform", "myspace"),
        ("--consent", "maybe"),
        ("--limit", "-1"),
    ):
        outcome = harvested.cli("queue", *args)
        assert outcome.exit_code == 2, args
        assert "Invalid value" in outcome.stderr and outcome.stdout == ""


def test_plain_text_rows_when_not_a_terminal(harvested: Setup) -> None:
    outcome = harvested.cli("queue", "--limit", "0")
    assert outcome.exit_code == 0, outcome.stderr
    assert "\x1b" not in outcome.stdout  # no colours, no cursor codes
    assert not set("┃│━─┏┡") & set(outcome.stdout)  # no box drawing
    header, *rows = outcome.stdout.splitlines()
    columns = header.split("\t")
    assert columns == [
        "id",
        "platforms",
        "name",
        "author",
        "role",
        "place",
        "secs",
        "consent",
        "problems",
        "excerpt",
    ]
    items = queue_json(harvested, "--limit", "0")
    assert len(rows) == len(items)
    for row, item in zip(rows, items, strict=True):
        cells = dict(zip(columns, row.split("\t"), strict=True))
        assert cells["id"] == str(item["id"])
        assert cells["platforms"] == "+".join(item["platforms"])
        assert cells["consent"] == item["consent"]
        assert cells["problems"] == ("; ".join(item["problems"]) or "-")
    assert any("+" in row.split("\t")[1] for row in rows)  # linked testimonies: one row


def test_an_empty_selection_says_so(harvested: Setup) -> None:
    outcome = harvested.cli("queue", "--status", "held")
    assert outcome.exit_code == 0
    assert outcome.stdout == "No held testimonies.\n"
    assert harvested.cli("queue", "--status", "held", "--json").stdout.strip() == "[]"


def test_a_long_queue_says_how_many_are_left_up_to_the_count_cap(
    harvested: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past review.queue.COUNT_CAP pending testimonies (1,000), `queue` and the review page
    say "1000+" rather than count on: at 1M posts the count was a seventh of `queue`'s time.
    The cap is lowered here so the sandbox's world goes past it."""
    pending = len(queue_json(harvested, "--limit", "0"))
    assert pending > 4
    outcome = harvested.cli("queue", "--limit", "2")
    assert outcome.stderr.splitlines()[-1] == f"2 of {pending} shown; --limit to see more"
    monkeypatch.setattr(review.queue, "COUNT_CAP", 4)
    outcome = harvested.cli("queue", "--limit", "2")
    assert outcome.exit_code == 0, outcome.stderr
    assert len(outcome.stdout.splitlines()) == 1 + 2  # the header and two rows
    assert outcome.stderr.splitlines()[-1] == "2 of 4+ shown; --limit to see more"
