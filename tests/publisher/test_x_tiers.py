"""X's self-serve tiers in 2026: no quote posts (check-config says so before anything is
sent), writes paid from pay-per-use credits (a 402 waits for a top-up, it is not a refusal),
and at most 50 retweets in 15 minutes per account."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import invoke
from tests.publisher.flow import approve_matched, by_state, outbox
from tests.sandboxed import SHIPPED, Setup


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
