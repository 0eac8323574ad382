"""The redactor: no configured credential and nothing shaped like a token gets through."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config import redact
from config.credentials import require_env
from storydesk.ops.logs import EventLog
from tests.helpers import invoke

SECRET = "sk-live-0123456789abcdef"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    redact.forget_all()
    yield
    redact.forget_all()


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("Authorization: Bearer abcdefgh12345678", "abcdefgh12345678"),
        ("{'Authorization': 'Bearer AAAAAAAAAAAAAAAAAAAAAxyzxyzxyzxyz0123'}", "xyzxyzxyz"),
        (
            "GET https://h/youtube/v3/search?part=snippet&key=AIzaSyD-0123456789abcdefghijklmnopq",
            "AIza",
        ),
        ('{"error": {"message": "bad", "access_token": "EAABwzLixnjYBAK0123"}}', "EAABwz"),
        ("oauth_token=1234-abcdefgh&oauth_signature=zzzzzzzz%3D", "abcdefgh"),
        ("token expired: ya29.a0AfH6SMBx-0123456789", "ya29.a0"),
        ("sessionid=7263546372%3Aabcdefgh", "7263546372"),
    ],
)
def test_token_shaped_strings_are_removed(text: str, leaked: str) -> None:
    cleaned = redact.redact(text)
    assert leaked not in cleaned
    assert redact.MASK in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "harvest.done platform=x new=3 requests=2",
        "https://x.com/maria/status/1790000000000000000",
        "next_token=b26v89c19zqg8o3fpz cursor moved",
        "the keyboard is a tool; a turkey: delicious",
        "youtube: search.list was refused (HTTP 400 badRequest)",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact.redact(text) == text


def test_a_credential_read_from_the_environment_is_removed_everywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORYDESK_X_BEARER_TOKEN", SECRET)
    assert require_env("STORYDESK_X_BEARER_TOKEN", "platforms.x.bearer_token_env") == SECRET
    assert (
        redact.redact(f"server said: unknown token {SECRET}!") == "server said: unknown token ***!"
    )
    assert redact.redact_any({"why": [f"x{SECRET}y"], SECRET: 1}) == {"why": ["x***y"], "***": 1}


def test_short_values_are_not_treated_as_secrets() -> None:
    redact.remember("abc", "", None, "0-storydesk-dummy-credential")
    assert redact.redact("abc 0-storydesk-dummy-credential") == "abc 0-storydesk-dummy-credential"


def test_log_lines_are_redacted() -> None:
    redact.remember(SECRET)
    out = io.StringIO()
    EventLog(out).error("publish.failed", error=f"HTTP 401: invalid token {SECRET}")
    assert SECRET not in out.getvalue()
    assert "***" in out.getvalue()


def test_the_cli_redacts_its_own_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # a campaign file whose error message would carry the credential's value
    monkeypatch.setenv("STORYDESK_X_BEARER_TOKEN", SECRET)
    redact.remember(SECRET)
    path = tmp_path / f"{SECRET}.toml"
    path.write_text("not toml at all [")
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    assert SECRET not in outcome.stderr
    assert "***.toml" in outcome.stderr


# Texts an import's response ids may hold: plain ids, token shapes at a text's start, end and
# middle, a known secret, line breaks and the characters the patterns look at either side.
_PIECES = ["R0001", "token=", "abcdefgh1234", "Bearer ", "key: ", "AIza" + "b" * 32, "EAA" + "c" * 31,
           "ya29.", "AQ" + "d" * 60, "act." + "e" * 20, SECRET, "\n", " ", "-", "_", "é", "=", "&",
           '"', "x"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=5).map("".join), max_size=8))
def test_redact_each_is_redact_of_each_text(texts: list[str]) -> None:
    """The one search over the joined texts never lets through what redact of each would
    remove, with or without a known secret."""
    assert list(redact.redact_each(texts)) == [redact.redact(t) for t in texts]
    redact.remember(SECRET)
    assert list(redact.redact_each(texts)) == [redact.redact(t) for t in texts]


def test_redact_each_returns_texts_untouched_only_when_nothing_matches() -> None:
    plain = ["R00000001", "R00000002", "Léa-7"]
    assert redact.redact_each(plain) is plain
    redact.remember(SECRET)
    found = redact.redact_each(["R1", f"id{SECRET}", "token=abcdefgh"])
    assert found == ["R1", "id***", "token=***"]


_ASCII_PIECES = [p for p in _PIECES if p.isascii()] + ["BEARER ", "Token:", "aIzA" + "B" * 31,
                 "eAa" + "Q" * 30, "A" * 20 + "b" * 20, "AqZ" + "z" * 60, "ACT." + "x" * 20]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ASCII_PIECES), max_size=6).map("".join))
def test_every_shape_in_ascii_text_holds_one_of_its_words(text: str) -> None:
    """The words redact_each looks for in ASCII text before any search: a text with a
    token shape always holds one of them."""
    if redact._SHAPES.search(text):
        assert any(word in text.lower() for word in redact._SHAPE_WORDS)
    assert redact.redact_each([text]) == [redact.redact(text)]
