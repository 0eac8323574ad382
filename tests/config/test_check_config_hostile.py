"""check-config against campaign files written to break it: each gets one line naming the
file, the line and the key, exit 78, and nothing hangs or crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.schema import is_loopback
from tests.helpers import invoke

BASE = """\
[campaign]
id = "demo"
name = "Demo"
hashtags = ["LearningNeverStops"]
start = 2026-01-01
{campaign_extra}

[platforms.x]
base_url = "http://127.0.0.1:8765"
every = "15m"

[publish.x]
base_url = "http://127.0.0.1:8765"
mode = "retweet"
{publish_extra}

[credentials]
dummy_on_loopback = true
"""


def _write(tmp_path: Path, campaign_extra: str = "", publish_extra: str = "") -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text(BASE.format(campaign_extra=campaign_extra, publish_extra=publish_extra))
    return path


def test_the_base_file_is_valid(tmp_path: Path) -> None:
    outcome = invoke("check-config", str(_write(tmp_path)))
    assert outcome.exit_code == 0, outcome.stderr


@pytest.mark.parametrize(
    ("campaign_extra", "publish_extra", "where", "says"),
    [
        ("", 'template = "{quote}"', "line 15: publish.x.template", "unknown placeholder {quote}"),
        ("", 'template = "{excerpt:>999999999}"', "line 15: publish.x.template", "a width above"),
        (
            "",
            'template = "{first_name.__class__}"',
            "line 15: publish.x.template",
            "unknown placeholder",
        ),
        ("", 'template = "{city!r}"', "line 15: publish.x.template", "conversions are not allowed"),
        ("", 'template = "{excerpt:{city}}"', "line 15: publish.x.template", "only an alignment"),
        ("", 'template = "{unclosed"', "line 15: publish.x.template", "not a valid template"),
        ("end = 2025-12-31", "", "line 6: campaign.end", "before start"),
        ("mentions = ['UN ESCO']", "", "line 6: campaign.mentions", "not one word"),
    ],
)
def test_a_bad_value_is_named_with_its_line_and_key(
    tmp_path: Path, campaign_extra: str, publish_extra: str, where: str, says: str
) -> None:
    path = _write(tmp_path, campaign_extra, publish_extra)
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78, outcome.stderr
    assert f"{path}: {where}" in outcome.stderr
    assert says in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_a_hashtag_of_two_words_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(
        BASE.format(campaign_extra="", publish_extra="").replace(
            '["LearningNeverStops"]', '["Learning Never Stops"]'
        )
    )
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    assert f"{path}: line 4: campaign.hashtags: 'Learning Never Stops' is not one word" in (
        outcome.stderr
    )


@pytest.mark.parametrize(
    ("every", "says"),
    [
        ("99999999999999999999d", "is not a duration"),
        ("0s", "not a positive duration"),
        ("400d", "longer than a year"),
        ("-5m", "is not a duration"),
    ],
)
def test_durations_are_positive_and_bounded(tmp_path: Path, every: str, says: str) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(BASE.format(campaign_extra="", publish_extra="").replace("15m", every))
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78, outcome.stderr
    assert f"{path}: line 10: platforms.x.every:" in outcome.stderr
    assert says in outcome.stderr


@pytest.mark.parametrize("depth", [50, 2000, 100_000])
def test_deeply_nested_arrays_never_crash(tmp_path: Path, depth: int) -> None:
    path = _write(tmp_path, f"languages = {'[' * depth}{']' * depth}")
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    assert outcome.stderr.startswith(f"storydesk: {path}")
    assert "Traceback" not in outcome.stderr and "unexpected error" not in outcome.stderr


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    with path.open("w") as stream:
        stream.write("# " + "x" * (4 << 20) + "\n")
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    assert "not a campaign file" in outcome.stderr


@pytest.mark.parametrize("field", ["page_id", "playlist_id"])
def test_an_id_that_goes_into_a_url_path_is_one_segment(tmp_path: Path, field: str) -> None:
    section = "[platforms.facebook]" if field == "page_id" else "[publish.youtube]"
    path = tmp_path / "campaign.toml"
    path.write_text(
        BASE.format(campaign_extra="", publish_extra="")
        + f'\n{section}\nbase_url = "http://127.0.0.1:8765"\n{field} = "../../me"\n'
    )
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    assert f"{field}: '../../me' is not an id" in outcome.stderr


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8765", True),
        ("http://127.1.2.3", True),
        ("http://localhost:1", True),
        ("http://[::1]:80", True),
        ("http://127.attacker.example", False),
        ("http://127.0.0.1.nip.io", False),
        ("http://localhost.attacker.example", False),
        ("https://api.twitter.com", False),
        ("http://[::1", False),
    ],
)
def test_the_loopback_check_takes_addresses_not_names_that_look_like_them(
    url: str, loopback: bool
) -> None:
    assert is_loopback(url) is loopback


def test_dummy_credentials_refused_for_a_host_that_only_starts_like_loopback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text(
        BASE.format(campaign_extra="", publish_extra="").replace(
            "http://127.0.0.1:8765", "http://127.attacker.example", 1
        )
    )
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    assert "dummy_on_loopback is only allowed" in outcome.stderr
