"""X's self-serve tiers in 2026: no quote posts (check-config says so before anything is
sent), writes paid from pay-per-use credits (a 402 waits for a top-up, it is not a refusal),
and at most 50 retweets in 15 minutes per account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from config.credentials import DUMMY
from db.models import Publication
from tests.helpers import invoke
from tests.publisher.flow import approve_matched, by_state, outbox
from tests.sandbox.support import campaign_posts, x_client
from tests.sandboxed import SHIPPED, Setup, session_factory


def test_check_config_refuses_quote_mode_unless_the_campaign_declares_quote_access(
    tmp_path: Path,
) -> None:
    quote = tmp_path / "quote.toml"
    quote.write_text(SHIPPED.read_text().replace('mode = "retweet"', 'mode = "quote"'))
    refused = invoke("check-config", str(quote))
    assert refused.exit_code == 78
    said = refused.stdout + refused.stderr
    assert "publish.x" in said and "quote_access" in said and "self-serve" in said

    declared = tmp_path / "enterprise.toml"
    declared.write_text(
        SHIPPED.read_text().replace('mode = "retweet"', 'mode = "quote"\nquote_access = true')
    )
    assert invoke("check-config", str(declared)).exit_code == 0


def test_spent_credits_keep_the_retweets_queued_until_a_person_tops_up(ready: Setup) -> None:
    approve_matched(ready)
    ready.control("x-account", {"credits": 0})
    outcome = ready.cli("publish", "--target", "x")
    said = outcome.stdout + outcome.stderr
    assert outcome.exit_code == 75, said  # try later, not "work failed" or "bad credentials"
    assert "402" in said and "top up" in said, said
    rows = [r for r in outbox(ready.db_url) if r.target == "x"]
    assert rows and not by_state(rows, "done")
    # the first call met the 402 and held the target back: one call, not one per row
    waiting = [r for r in rows if r.state == "failed"]
    assert len(waiting) == 1 and "top up" in (waiting[0].last_error or "")
    assert not ready.stats()["retweets"]


def test_retweets_past_50_in_15_minutes_wait_for_the_window_and_none_is_lost(
    ready: Setup, sandbox: Any
) -> None:
    """The account already retweeted 49 times in this window (by hand, say): one more goes
    out, the rest wait (try later, exit 75) and go out once the window has passed."""
    approved = approve_matched(ready)
    # the campaign's own account: the sandbox campaign's stand-in token (no key set)
    client, _ = x_client(sandbox.base_url, access_token=DUMMY)
    other = campaign_posts(sandbox, "x")[-1].native_id
    for _ in range(49):  # X counts each POST /2/users/:id/retweets (rate-limits page)
        client.retweet(other)
    outcome = ready.cli("publish", "--target", "x")
    said = outcome.stdout + outcome.stderr
    rows = [r for r in outbox(ready.db_url) if r.target == "x"]
    assert len(rows) >= 2 and len(approved) >= 2
    assert outcome.exit_code == 75, said
    assert "rate limited" in said, said
    assert by_state(rows, "done") == {"x": 1}
    assert not by_state(rows, "skipped")

    # 16 minutes pass, for X and for storydesk: the window is over, the rows are due
    sandbox.state.offset += timedelta(minutes=16)
    with session_factory(ready.db_url)() as session, session.begin():
        session.execute(
            update(Publication)
            .where(Publication.target == "x", Publication.state != "done")
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    again = ready.cli("publish", "--target", "x")
    rows = [r for r in outbox(ready.db_url) if r.target == "x"]
    assert again.exit_code == 0, again.stdout + again.stderr
    assert by_state(rows, "done") == {"x": len(rows)}
    shared = [(r.external_id or "").removeprefix("retweet:") for r in rows]
    assert len(set(shared)) == len(rows)  # each its own, once
    assert set(shared) <= set(ready.stats()["retweets"])
