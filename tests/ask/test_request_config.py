"""check-config validates [consent.request] like the other templates: one line naming the
key, exit 78."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import invoke

BASE = """\
[campaign]
id = "demo"
name = "Demo"
hashtags = ["LearningNeverStops"]
start = 2026-01-01

[consent.request]
form_url = {form_url}
{extra}

[consent.request.text]
en = {text}
"""
GOOD_URL = '"https://forms.example/unesco?code={code}"'
GOOD_TEXT = '"Hi {first_name}! Please sign: {link}"'


def check(tmp_path: Path, form_url: str = GOOD_URL, text: str = GOOD_TEXT, extra: str = "") -> str:
    path = tmp_path / "campaign.toml"
    path.write_text(BASE.format(form_url=form_url, text=text, extra=extra))
    outcome = invoke("check-config", str(path))
    return f"{outcome.exit_code} {outcome.stdout}{outcome.stderr}"


def test_a_good_request_passes(tmp_path: Path) -> None:
    assert check(tmp_path).startswith("0 ok")
    hashtags = 'opt_in_hashtag = "#OuiÉcole_2027"\nwithdraw_hashtag = "NoUNESCO"'
    assert check(tmp_path, extra=hashtags).startswith("0 ok")


@pytest.mark.parametrize(
    ("form_url", "text", "extra", "says"),
    [
        ('"https://forms.example/unesco"', GOOD_TEXT, "", "put {code} in it"),
        ('"javascript:alert(1)?c={code}"', GOOD_TEXT, "", "not an http(s) URL"),
        (GOOD_URL, '"Please sign the form"', "", "put {link} in it"),
        (GOOD_URL, '"Hi {email}: {link}"', "", "unknown placeholder {email}"),
        (GOOD_URL, '"Hi {first_name:>99999}: {link}"', "", "a width above"),
        (GOOD_URL, GOOD_TEXT, 'default_language = "fr"', "default_language 'fr' has no text"),
        (GOOD_URL, GOOD_TEXT, "per_hour = 0", "per_hour"),
        (GOOD_URL, GOOD_TEXT, 'withdraw_hashtag = "#YesUNESCO"', "must differ"),
        (GOOD_URL, GOOD_TEXT, 'expire_after = "forever"', "not a duration"),
        (GOOD_URL, GOOD_TEXT, 'opt_in_hashtag = "Yes UNESCO"', "not one hashtag"),
        (GOOD_URL, GOOD_TEXT, 'opt_in_hashtag = "YesUNESCO\\n"', "not one hashtag"),
        (GOOD_URL, GOOD_TEXT, 'withdraw_hashtag = "##No"', "not one hashtag"),
        (GOOD_URL, GOOD_TEXT, 'withdraw_hashtag = "' + "N" * 101 + '"', "not one hashtag"),
    ],
)
def test_a_bad_request_is_one_line_naming_the_key(
    tmp_path: Path, form_url: str, text: str, extra: str, says: str
) -> None:
    said = check(tmp_path, form_url, text, extra)
    assert said.startswith("78 "), said
    assert says in said, said
    assert "consent.request" in said, said
