"""Asking on YouTube: a comment on the video (commentThreads.insert), the signed form with
its code, a withdrawal in the comment's thread."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.ask.support import (
    harvested,
    import_export,
    requests_of,
    show,
    unsigned_on_youtube_only,
)
from tests.publisher.flow import outbox
from tests.sandboxed import make_setup


def test_ask_by_comment_sign_publish_then_withdraw_in_the_thread(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, consent=False, targets=("youtube",))
    harvested(setup)
    tid, video = unsigned_on_youtube_only(setup)
    asked = setup.cli("ask", str(tid))
    assert asked.exit_code == 0, asked.stderr
    assert setup.stats()["replies"].get("youtube") == 1
    [request] = requests_of(setup)
    assert (request.platform, request.via, request.state) == ("youtube", "reply", "asked")
    assert "already asked" in setup.cli("ask", str(tid)).stdout
    assert setup.stats()["replies"].get("youtube") == 1

    setup.control("sign", {"native_id": video})
    import_export(setup)
    card = show(setup, tid)
    assert (card["consent"], card["consent_evidence"]["by"]) == ("matched", "form_code")
    assert setup.cli("approve", str(tid), "--as", "staff").exit_code == 0
    assert setup.cli("publish").exit_code == 0
    [row] = [r for r in outbox(setup.db_url) if r.testimony_id == tid]
    assert (row.target, row.state) == ("youtube", "done")

    thread = request.external_id
    setup.control(
        "reply", {"platform": "youtube", "in_reply_to": thread, "by": "other", "text": "#NoUNESCO"}
    )
    said = json.loads(setup.cli("consent", "answers", "--json").stdout)
    assert said["withdrawals"] == [] and len(said["ignored"]) == 1
    setup.control(
        "reply",
        {
            "platform": "youtube",
            "in_reply_to": thread,
            "by": "author",
            "text": "No thanks #NoUNESCO",
        },
    )
    said = json.loads(setup.cli("consent", "answers", "--json").stdout)
    assert len(said["withdrawals"]) == 1
    assert setup.cli("publish").exit_code == 0
    [row] = [r for r in outbox(setup.db_url) if r.testimony_id == tid]
    assert row.state == "taken-down"
