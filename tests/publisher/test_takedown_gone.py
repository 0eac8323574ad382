"""A takedown of a reshare that is already gone (deleted by hand on the platform) is done,
recorded as such, not a failure repeated every cycle; errors are the platform's words."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry
from db.session import make_engine
from publisher.http import said
from tests.publisher.flow import approve_matched, outbox
from tests.sandboxed import Setup


def test_a_reshare_deleted_by_hand_is_taken_down_not_failed(ready: Setup) -> None:
    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    queue: list[dict[str, Any]] = json.loads(
        ready.cli("queue", "--json", "--status", "approved", "--limit", "0").stdout
    )
    consent_of = {item["id"]: item["consent_id"] for item in queue}
    facebook = next(r for r in outbox(ready.db_url) if r.target == "facebook" and r.state == "done")
    form = consent_of[facebook.testimony_id]
    # someone deleted the Page post by hand, before consent was withdrawn
    gone = requests.delete(
        f"{ready.base_url}/v21.0/{facebook.external_id}",
        headers={"Authorization": "Bearer x"},
        timeout=10,
    )
    assert gone.status_code == 200
    assert ready.cli("consent", "revoke", str(form), "--reason", "withdrew").exit_code == 0
    cycle = ready.cli("publish")
    after = {r.id: r for r in outbox(ready.db_url)}
    assert after[facebook.id].state == "taken-down"
    # a word of its own: "publication 4" must not be found inside "publication 43"
    assert not re.search(rf"publication {facebook.id}\b", cycle.stderr), cycle.stderr
    engine = make_engine(ready.db_url)
    with Session(engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.subject_type == "publication",
                AuditEntry.subject_id == str(facebook.id),
                AuditEntry.action == "publication.taken-down",
            )
        ).one()
        assert entry.detail["already_gone"] is True
    engine.dispose()
    assert ready.cli("publish").exit_code in (0, 1)  # nothing about it a second time
    status = json.loads(ready.cli("status", "--json").stdout)
    assert not [a for a in status["alarms"] if f"publication {facebook.id} " in a["message"]]


@pytest.mark.parametrize("target", ["linkedin", "youtube", "x"])
def test_a_reshare_gone_from_any_platform_is_taken_down_not_failed(
    ready: Setup, sandbox: Any, target: str
) -> None:
    """Each platform's answer to deleting what is not there, as the sandbox gives it from
    the platform's documentation: LinkedIn 204 (deletions are idempotent), YouTube 404
    playlistItemNotFound, X 200 with retweeted false; every one ends taken down."""
    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    queue: list[dict[str, Any]] = json.loads(
        ready.cli("queue", "--json", "--status", "approved", "--limit", "0").stdout
    )
    consent_of = {item["id"]: item["consent_id"] for item in queue}
    row = next(r for r in outbox(ready.db_url) if r.target == target and r.state == "done")
    external = row.external_id or ""
    # gone from the platform by hand, before consent was withdrawn
    if external.startswith("retweet:"):
        sandbox.state.retweets.discard(external.split(":", 1)[1])
    else:
        assert sandbox.state.published[target].pop(external, None) is not None
    revoked = ready.cli("consent", "revoke", str(consent_of[row.testimony_id]), "--reason", "w")
    assert revoked.exit_code == 0
    cycle = ready.cli("publish", "--target", target)
    assert cycle.exit_code == 0, cycle.stderr
    after = {r.id: r for r in outbox(ready.db_url)}
    assert after[row.id].state == "taken-down" and not after[row.id].last_error
    assert not re.search(rf"publication {row.id}\b", cycle.stderr), cycle.stderr
    status = json.loads(ready.cli("status", "--json").stdout)
    assert not [a for a in status["alarms"] if f"publication {row.id} " in a["message"]]


class _Answer:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code, self._body = status, body
        self.text = json.dumps(body) if not isinstance(body, str) else body

    def json(self) -> Any:
        if isinstance(self._body, str):
            raise ValueError("not JSON")
        return self._body


def test_errors_are_the_platform_s_words_not_raw_json() -> None:
    graph = {
        "error": {"message": "(#200) Permissions error", "type": "OAuthException", "code": 200}
    }
    assert said(_Answer(400, graph)) == "(#200) Permissions error (code 200)"
    linkedin = {"status": 422, "message": "Field Value validation failed", "code": "INVALID"}
    assert said(_Answer(422, linkedin)) == "Field Value validation failed"
    x = {"errors": [{"message": "You are not allowed to create a Tweet with duplicate content."}]}
    assert said(_Answer(403, x)).startswith("You are not allowed")
    assert said(_Answer(400, "<html><body>Bad gateway</body></html>")) == "no explanation"
    assert "{" not in said(_Answer(400, {"unexpected": {"shape": 1}}))


def test_a_takedown_by_hand_names_the_testimony_account_and_url_once(ready: Setup) -> None:
    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    queue: list[dict[str, Any]] = json.loads(
        ready.cli("queue", "--json", "--status", "approved", "--limit", "0").stdout
    )
    consent_of = {item["id"]: item["consent_id"] for item in queue}
    row = next(r for r in outbox(ready.db_url) if r.target == "tiktok" and r.state == "done")
    assert (
        ready.cli("consent", "revoke", str(consent_of[row.testimony_id]), "--reason", "w").exit_code
        == 0
    )
    cycle = ready.cli("run-once")
    said_once = f"then run `storydesk taken-down {row.id}`"
    # once in the cycle's report (stderr carries the event log, the operator's other channel)
    assert cycle.stdout.count(said_once) == 1, cycle.stdout
    assert f"TikTok app (testimony {row.testimony_id} by @" in cycle.stdout
    assert "@@" not in cycle.stdout
    status = ready.cli("status")
    assert status.exit_code == 1
    assert f"tiktok reshare of testimony {row.testimony_id}, by @" in status.stdout
    assert f"what to do: delete it in the tiktok app, then run `storydesk taken-down {row.id}`" in (
        status.stdout
    )


@pytest.mark.parametrize("target", ["facebook", "instagram"])
def test_a_token_that_lost_its_rights_never_passes_for_a_reshare_already_gone(
    ready: Setup, sandbox: Any, target: str
) -> None:
    """Graph answers "does not exist, cannot be loaded due to missing permissions" (100/33)
    for a deleted post and for a token that lost the Page alike: the reshare, still up, is
    not recorded as taken down; the takedown stays due and goes through with a new token."""
    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    queue: list[dict[str, Any]] = json.loads(
        ready.cli("queue", "--json", "--status", "approved", "--limit", "0").stdout
    )
    consent_of = {item["id"]: item["consent_id"] for item in queue}
    row = next(r for r in outbox(ready.db_url) if r.target == target and r.state == "done")
    assert (
        ready.cli("consent", "revoke", str(consent_of[row.testimony_id]), "--reason", "w").exit_code
        == 0
    )
    sandbox.state.published["graph-token"]["rights_lost"] = True  # the app removed from the Page
    cycle = ready.cli("publish", "--target", target)
    said_now = cycle.stdout + cycle.stderr
    assert cycle.exit_code == 78, said_now  # a person must renew the token
    assert "may have lost its rights" in said_now and "renew the token" in said_now
    after = {r.id: r for r in outbox(ready.db_url)}
    assert after[row.id].state == "done"
    assert row.external_id in sandbox.state.published[target]  # still up, and we say so

    sandbox.state.published["graph-token"]["rights_lost"] = False  # a new Page token
    again = ready.cli("publish", "--target", target)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert {r.id: r for r in outbox(ready.db_url)}[row.id].state == "taken-down"
    assert row.external_id not in sandbox.state.published[target]
