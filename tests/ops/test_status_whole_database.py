"""`status` without a campaign file reports on the whole database, which several campaigns
may share: it counts their reshares, failures and takedowns, and names no participant
(no testimony, account, or platform answer that may quote one); with the campaign's file
the same rows are described in full."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.loader import load_campaign
from db import models
from db.states import PublicationState
from storydesk.ops.status import build_status
from tests.helpers import invoke
from tests.review.test_campaign_scope import STRANGER, add_testimony, leaked
from tests.sandboxed import OTHER_CAMPAIGN, SHIPPED

NOW = datetime.now(UTC)  # `status` reads the clock: the rows are placed around it
HANDLE = STRANGER[-1]


def _other_file(folder: Path) -> Path:
    """The shipped campaign file under the other campaign's id."""
    text = SHIPPED.read_text()
    assert 'id = "learning-never-stops"' in text
    path = folder / "other.toml"
    path.write_text(text.replace('id = "learning-never-stops"', f'id = "{OTHER_CAMPAIGN}"', 1))
    return path


def _reshares_of_a_stranger(sessions: sessionmaker[Session]) -> None:
    """Another campaign's testimony with a failed reshare whose error quotes the account,
    a takedown long overdue, and a TikTok reshare that must be deleted by hand."""
    with sessions.begin() as session:
        testimony = add_testimony(session, OTHER_CAMPAIGN, "theirs", STRANGER)
        asked = NOW - timedelta(hours=3)

        def reshare(target: str, **fields: object) -> None:
            session.add(
                models.Publication(
                    testimony_id=testimony,
                    target=target,
                    idempotency_key=f"k-{target}",
                    created_at=asked,
                    updated_at=asked,
                    **fields,
                )
            )

        reshare(
            "x",
            state=PublicationState.FAILED,
            attempts=8,
            last_error=f"HTTP 403: @{HANDLE} has blocked this account",
        )
        reshare(
            "facebook",
            state=PublicationState.DONE,
            external_id="fb-1",
            takedown_requested_at=asked,
            takedown_reason="consent withdrawn",
            last_error=f"HTTP 500 while deleting {HANDLE}'s video",
        )
        reshare(
            "tiktok",
            state=PublicationState.DONE,
            external_id="tt-1",
            takedown_requested_at=asked,
            takedown_reason="consent withdrawn",
        )


def test_without_a_campaign_file_reshares_are_counted_and_nobody_is_named(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _reshares_of_a_stranger(sessions)
    with sessions() as session:
        whole = build_status(session, None, NOW)
    assert not leaked(json.dumps(whole)), whole
    publications = whole["publications"]
    assert publications["by_target"]["x"] == {"failed": 1}
    assert publications["takedowns_pending"] == 2
    assert [(f["target"], f["attempts"]) for f in publications["failed"]] == [("x", 8)]
    assert [p["target"] for p in publications["takedowns_by_hand"]] == ["tiktok"]
    messages = {a["kind"]: a for a in whole["alarms"]}
    assert messages["takedown"]["message"].startswith("1 takedown(s) are not done")
    assert "on facebook" in messages["takedown"]["message"]
    assert messages["takedown-by-hand"]["message"].startswith("1 tiktok reshare(s) must be")
    assert "--config FILE" in messages["takedown"]["action"]

    # the campaign's own status describes them: the rows are there to be named
    with sessions() as session:
        own = build_status(session, load_campaign(_other_file(tmp_path)), NOW)
    described = json.dumps(own)
    assert HANDLE in described and leaked(described)


def test_the_status_command_without_a_campaign_file_names_nobody(
    sessions: sessionmaker[Session], db_url: str
) -> None:
    _reshares_of_a_stranger(sessions)
    for as_json in ([], ["--json"]):
        result = invoke("--db", db_url, "status", *as_json)
        assert result.exit_code == 78, result.stdout + result.stderr  # no campaign file
        assert not leaked(result.stdout + result.stderr), result.stdout
        assert "tiktok" in result.stdout and "takedown" in result.stdout
    text = invoke("--db", db_url, "status").stdout
    assert "publication" in text and "on x: gave up after 8 attempts" in text
