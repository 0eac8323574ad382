"""Graph errors are read from the body's code, in one place, by harvest, publish and the
compliance sweep alike: 190 (expired token) asks a person to renew it (exit 78), 4/17/32/613
(rate limits) are try later (exit 75). HTTP 400 carries both, so the status cannot tell."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from platforms.graph import classify_answer
from tests.publisher.flow import approve_matched
from tests.sandboxed import Setup


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (190, "CredentialRejected"),
        (4, "TryLater"),
        (17, "TryLater"),
        (32, "TryLater"),
        (613, "TryLater"),
        (100, "WorkFailed"),
    ],
)
def test_graph_codes_sort_by_who_must_act(code: int, kind: str) -> None:
    body = {"error": {"code": code, "message": "m", "type": "OAuthException"}}
    error = classify_answer(400, body, "graph", datetime.now(UTC))
    assert type(error).__name__ == kind


@pytest.mark.parametrize(("code", "exit_code"), [(190, 78), (613, 75), (4, 75)])
def test_a_facebook_harvest_meeting_a_graph_error_exits_by_its_code(
    ready: Setup, sandbox: Any, code: int, exit_code: int
) -> None:
    ready.control("faults", {"platform": "graph", "kind": f"graph-{code}", "count": 5})
    outcome = ready.cli("harvest", "--platform", "facebook")
    said = outcome.stdout + outcome.stderr
    assert outcome.exit_code == exit_code, said
    assert ("rejected the token" if code == 190 else "rate limit") in said


# publish as harvest: a credential a person must renew is a configuration to fix (exit 78)
@pytest.mark.parametrize(("code", "exit_code"), [(190, 78), (613, 75)])
def test_a_facebook_publish_meeting_a_graph_error_waits_or_asks_by_its_code(
    ready: Setup, code: int, exit_code: int
) -> None:
    approve_matched(ready)
    ready.control("faults", {"platform": "graph", "kind": f"graph-{code}", "count": 1})
    outcome = ready.cli("publish", "--target", "facebook")
    said = outcome.stdout + outcome.stderr
    assert outcome.exit_code == exit_code, said
    assert ("rejected the token" if code == 190 else "rate limit") in said
