"""TikTok tokens as TikTok issues them in 2026: access tokens last 2 hours, and every refresh
rotates the refresh token (the old one stops working). storydesk refreshes with the newest
refresh token, keeps it in an owner-only token file written whole, and never prints it."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from config.clock import FakeClock
from config.errors import ConfigError
from platforms.tiktok_tokens import TokenStore
from tests.publisher.flow import approve_matched, outbox
from tests.sandboxed import Setup, make_setup


def token_file(setup: Setup) -> Path:
    return setup.config.with_name("campaign.tiktok-token.json")


def refreshes(setup: Setup) -> int:
    return int(setup.stats()["requests"].get("tiktok", {}).get("POST /v2/oauth/token", 0))


def test_the_rotated_refresh_token_is_kept_in_an_owner_only_file_and_never_printed(
    ready: Setup, sandbox: Any
) -> None:
    approve_matched(ready)
    first = ready.cli("publish", "--target", "tiktok")
    assert first.exit_code == 0, first.stdout + first.stderr
    path = token_file(ready)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["refresh_token"] in sandbox.state.published["tiktok-refresh"]  # the newest
    assert refreshes(ready) == 1
    for secret in (saved["refresh_token"], saved["access_token"]):
        assert secret not in first.stdout + first.stderr
    # the refresh token the environment started with is rotated out: TikTok refuses it now
    spent = next(iter(sandbox.state.published["tiktok-refresh-spent"]))
    again = requests.post(
        f"{ready.base_url}/v2/oauth/token/",
        data={
            "client_key": "k",
            "client_secret": "s",
            "grant_type": "refresh_token",
            "refresh_token": spent,
        },
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_an_expired_access_token_is_refreshed_and_the_new_refresh_token_saved(
    ready: Setup, sandbox: Any
) -> None:
    approve_matched(ready)
    rows = [r for r in outbox(ready.db_url) if r.target == "tiktok"]
    assert len(rows) >= 2
    assert ready.cli("publish", "--target", "tiktok", "--limit", "1").exit_code == 0
    before = json.loads(token_file(ready).read_text())
    # three hours on at TikTok: the access token storydesk holds has expired there
    sandbox.state.offset += timedelta(hours=3)
    later = ready.cli("publish", "--target", "tiktok")
    assert later.exit_code == 0, later.stdout + later.stderr
    after = json.loads(token_file(ready).read_text())
    assert after["refresh_token"] != before["refresh_token"]
    assert before["refresh_token"] in sandbox.state.published["tiktok-refresh-spent"]
    assert refreshes(ready) == 2
    settled = [r for r in outbox(ready.db_url) if r.target == "tiktok"]
    assert {r.state for r in settled} <= {"done", "skipped"}
    assert len([r for r in settled if r.state == "done"]) >= 2


def test_a_refused_refresh_token_fails_the_target_asking_for_a_new_authorisation(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    setup = make_setup(tmp_path, sandbox.base_url, db_url, targets=("tiktok",))
    approve_matched(setup)
    # a token file whose refresh token TikTok has already rotated out
    spent = "rft.rotated-elsewhere"
    sandbox.state.published["tiktok-refresh-spent"][spent] = 0.0
    path = token_file(setup)
    path.write_text(
        json.dumps(
            {
                "access_token": "act.old",
                "expires_at": "2000-01-01T00:00:00+00:00",
                "refresh_token": spent,
                "refresh_expires_at": "2100-01-01T00:00:00+00:00",
            }
        )
    )
    path.chmod(0o600)
    outcome = setup.cli("publish", "--target", "tiktok")
    said = outcome.stdout + outcome.stderr
    assert outcome.exit_code == 78, said  # a person must authorise the app again
    assert "authorise the app again" in said and spent not in said
    assert not [w for w in setup.stats()["writes"] if w["path"].endswith("/init/")]


# -- the token file itself, on a fake clock ---------------------------------------------


class FakeTikTok:
    """TikTok's token endpoint as the store sees it through requests."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []

    def post(self, url: str, data: dict[str, str], headers: dict[str, str]) -> Any:
        self.calls.append(data)
        n = len(self.calls)
        body = {
            "access_token": f"act.{n}",
            "expires_in": 7200,
            "refresh_token": f"rft.{n}",
            "refresh_expires_in": 15552000,
            "open_id": "o",
            "scope": "video.upload",
        }

        class Answer:
            status_code = 200

            def json(self) -> dict[str, Any]:
                return body

        return Answer()


def store(tmp_path: Path, clock: FakeClock, tiktok: FakeTikTok) -> TokenStore:
    return TokenStore(
        tiktok, "https://tiktok/v2/oauth/token/", tmp_path / "t.json", "k", "s", "rft.0", clock
    )


def test_tokens_are_refreshed_before_they_expire_and_only_then(tmp_path: Path) -> None:
    clock, tiktok = FakeClock(datetime(2026, 12, 3, tzinfo=UTC)), FakeTikTok()
    tokens = store(tmp_path, clock, tiktok)
    assert tokens.access_token() == "act.1"
    assert tiktok.calls[0]["refresh_token"] == "rft.0"
    clock.advance(3600)
    assert tokens.access_token() == "act.1"  # an hour left: no refresh
    clock.advance(3600 - 200)  # within five minutes of the end
    assert tokens.access_token() == "act.2"
    assert tiktok.calls[1]["refresh_token"] == "rft.1"  # the newest, not the first
    # a new process reads the file: the chain goes on from the newest refresh token
    again = TokenStore(
        tiktok, "https://tiktok/v2/oauth/token/", tmp_path / "t.json", "k", "s", None, clock
    )
    assert again.access_token() == "act.2" and len(tiktok.calls) == 2


def test_a_crash_while_saving_leaves_the_previous_token_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, tiktok = FakeClock(datetime(2026, 12, 3, tzinfo=UTC)), FakeTikTok()
    tokens = store(tmp_path, clock, tiktok)
    tokens.access_token()
    before = (tmp_path / "t.json").read_text()
    clock.advance(7200)

    def killed(*args: Any) -> None:
        raise KeyboardInterrupt  # as if the process died between writing and renaming

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        tokens.access_token()
    assert (tmp_path / "t.json").read_text() == before  # whole, as it was
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    clock, tiktok = FakeClock(datetime(2026, 12, 3, tzinfo=UTC)), FakeTikTok()
    path = tmp_path / "t.json"
    path.write_text("{}")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        store(tmp_path, clock, tiktok).access_token()
    assert tiktok.calls == []


def test_no_token_file_and_no_refresh_token_names_the_variable(tmp_path: Path) -> None:
    clock, tiktok = FakeClock(datetime(2026, 12, 3, tzinfo=UTC)), FakeTikTok()
    tokens = TokenStore(tiktok, "u", tmp_path / "t.json", "k", "s", None, clock)
    with pytest.raises(ConfigError, match="refresh_token_env"):
        tokens.access_token()
