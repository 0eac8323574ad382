"""A credential the platform refuses is not a publication's fault: each publish cycle tries
the target once more (one call an hour, the rest paused), no attempt is spent, and once
someone renews the token every reshare goes out. Before, each hour spent an attempt of
the first row until it was given up for good, though nothing was wrong with it."""

from __future__ import annotations

from datetime import UTC, datetime

from config.clock import FakeClock
from publisher.outbox import publish_due
from tests.publisher.flow import approve_matched, by_state, outbox
from tests.sandboxed import Setup, load, session_factory


def test_a_refused_token_spends_no_attempt_and_publishing_resumes_once_renewed(
    ready: Setup,
) -> None:
    # one attempt each: a refused token that spent attempts would give a row up at once
    text = ready.config.read_text()
    ready.config.write_text(text.replace("[publish]\n", "[publish]\nmax_attempts = 1\n", 1))
    approve_matched(ready)
    loaded = load(ready)
    assert loaded.settings.publish.max_attempts == 1
    hours = 3
    # Graph's "Error validating access token" (code 190), for every call of `hours` cycles
    ready.control("faults", {"platform": "graph", "kind": "graph-190", "count": hours})
    sessions = session_factory(ready.db_url)
    clock = FakeClock(datetime.now(UTC))
    waiting = by_state(outbox(ready.db_url), "queued")["facebook"]
    assert waiting > 1
    for _ in range(hours):
        summary = publish_due(sessions, loaded, clock, target="facebook")
        counts = summary.count("facebook")
        assert (counts.failed, counts.misconfigured, counts.published) == (1, 1, 0)
        assert "the platform rejected the token" in summary.errors[0]
        clock.advance(3601)
    rows = [r for r in outbox(ready.db_url) if r.target == "facebook"]
    assert all(r.state in ("queued", "failed") for r in rows), rows

    summary = publish_due(sessions, loaded, clock, target="facebook")  # the token renewed
    assert summary.count("facebook").published == waiting
    assert by_state(outbox(ready.db_url), "done")["facebook"] == waiting
