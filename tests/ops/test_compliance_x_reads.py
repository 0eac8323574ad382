"""X charges every post read (pay-per-use, docs.x.com/x-api/getting-started/pricing): the
compliance sweep looks up only the posts whose reshare is out (or on its way) or that await
review, each at most once per `compliance.x_recheck_after` (a day), and `status` shows the
posts read this month: what the sandbox counted as charged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from compliance import sources
from compliance.summary import ComplianceSummary
from config.clock import FakeClock
from db import models
from db.models import Post, Publication
from platforms.x import search_client
from tests.sandboxed import Setup, load, make_setup, session_factory


def queue(setup: Setup) -> list[dict[str, Any]]:
    return list(json.loads(setup.cli("queue", "--json", "--limit", "0").stdout))


def test_the_x_sweep_reads_only_posts_reshared_or_awaiting_review_at_most_daily(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, targets=("x",))
    assert setup.cli("harvest", "--platform", "x").exit_code == 0
    assert setup.cli("match").exit_code == 0
    with_x = [i for i in queue(setup) if i["platform"] == "x"]
    matched = [i for i in with_x if i["consent"] == "matched"]
    assert len(with_x) >= 4 and matched
    # one reshared, one rejected (no reshare, no review left): the rest await review
    reshared, rejected = matched[0], next(i for i in with_x if i["id"] != matched[0]["id"])
    assert setup.cli("approve", str(reshared["id"]), "--as", "tester").exit_code == 0
    assert setup.cli("publish", "--target", "x").exit_code == 0, "retweeted"
    reject = setup.cli("reject", str(rejected["id"]), "--reason", "off topic", "--as", "t")
    assert reject.exit_code == 0, reject.stderr

    sessions = session_factory(setup.db_url)
    with sessions() as session:
        posts = session.execute(
            select(Post.native_id, models.Testimony.id, models.Testimony.review_state)
            .join(models.Testimony, Post.testimony_id == models.Testimony.id)
            .where(Post.platform == "x")
        ).all()
        out = set(
            session.scalars(select(Publication.testimony_id).where(Publication.state == "done"))
        )
    worth = {n for n, tid, review in posts if tid in out or review in ("pending", "held")}
    assert worth and worth != {n for n, _, _ in posts}  # the rejected one is not worth a read

    loaded = load(setup)
    asked: list[str] = []

    def sweep(at: datetime) -> ComplianceSummary:
        clock = FakeClock(at)
        real = sources.x_lookup(search_client(loaded), clock)

        def lookup(ids: list[str]) -> dict[str, Any]:
            asked.extend(ids)
            return real(ids)

        summary = ComplianceSummary()
        sources.sweep_x(sessions, loaded, clock, summary, lookup)
        return summary

    now = datetime.now(UTC)
    read_before = setup.stats()["x_posts_read"]
    sweep(now)
    assert set(asked) == worth and len(asked) == len(worth)
    charged = setup.stats()["x_posts_read"]
    assert charged - read_before == len(worth)

    # status: every post X returned this month, by search or look-up, as the sandbox charged
    status = json.loads(setup.cli("status", "--json").stdout)
    x = next(p for p in status["platforms"] if p["platform"] == "x")
    assert x["reads_this_month"] == charged
    assert "posts read this month" in setup.cli("status").stdout

    asked.clear()
    sweep(now + timedelta(hours=23))
    assert asked == []  # looked up less than a day ago: not again
    sweep(now + timedelta(hours=25))
    assert set(asked) == worth
