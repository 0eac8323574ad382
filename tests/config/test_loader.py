from __future__ import annotations

from pathlib import Path

import pytest

from config.credentials import DUMMY, require_env
from config.errors import ConfigError
from config.loader import SHIPPED, load_campaign
from config.schema import parse_duration
from tests.helpers import invoke

REAL = SHIPPED / "learning-never-stops.toml"
SANDBOX = SHIPPED / "sandbox.toml"


def test_the_shipped_campaign_is_the_real_one() -> None:
    settings = load_campaign(REAL).settings
    assert settings.campaign.hashtags == [
        "LearningNeverStops",
        "CitiesOfLearning",
        "RegionsOfLearning",
    ]
    assert settings.campaign.mentions == ["UNESCO"]
    assert settings.rules.max_video_seconds == 60
    assert settings.rules.minimum_age_without_guardian == 18
    assert set(settings.roles) == {"learner", "learning-provider", "platform-developer"}
    assert all(role.questions for role in settings.roles.values())
    assert settings.platforms.x is not None
    assert settings.platforms.x.base_url == "https://api.twitter.com"


def test_the_sandbox_campaign_differs_only_by_base_urls_and_dummy_credentials() -> None:
    real = load_campaign(REAL).settings
    sandbox = load_campaign(SANDBOX).settings
    assert sandbox.campaign == real.campaign
    assert sandbox.roles == real.roles
    assert all(url == "http://127.0.0.1:8765" for url in sandbox.base_urls())
    assert sandbox.credentials.dummy_on_loopback


@pytest.mark.parametrize("path", [REAL, SANDBOX])
def test_check_config_accepts_the_shipped_files(path: Path) -> None:
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout.startswith(f"ok: {path}")


BROKEN = """\
[campaign]
id = "demo"
name = "Demo"
hashtag = ["Typo"]
start = 2026-01-01

[rules]
max_video_seconds = "sixty"
"""


def test_a_broken_file_gets_one_line_per_problem_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN)
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"storydesk: {path}: line ") for line in lines)
    text = outcome.stderr
    assert "line 4: campaign.hashtag: unknown key (misspelled?)" in text
    assert "line 1: campaign.hashtags: required but missing" in text
    assert "line 8: rules.max_video_seconds:" in text
    assert "Traceback" not in text


def test_the_removed_languages_setting_says_every_language_is_harvested(tmp_path: Path) -> None:
    # a language filter could silently lose testimonies: the key went, and an old file is
    # told which line to delete rather than "unknown key"
    text = REAL.read_text().replace(
        "start = 2020-03-01\n", 'start = 2020-03-01\nlanguages = ["en", "fr"]\n', 1
    )
    path = tmp_path / "old.toml"
    path.write_text(text)
    line = text.splitlines().index('languages = ["en", "fr"]') + 1
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    assert outcome.stderr.strip().splitlines() == [
        f"storydesk: {path}: line {line}: campaign.languages: removed: every language is"
        " harvested; delete this line"
    ]


def test_an_empty_list_separator_is_refused_before_an_import_crashes_on_it(
    tmp_path: Path,
) -> None:
    # it passed check-config, then `consent import` said "unexpected error: ValueError:
    # empty separator" (exit 1)
    text = SANDBOX.read_text().replace('list_separator = ";"', 'list_separator = ""', 1)
    path = tmp_path / "campaign.toml"
    path.write_text(text)
    line = text.splitlines().index('list_separator = ""') + 1
    export = tmp_path / "forms.csv"
    export.write_text("response_id,full_name,video_urls\nR1,Ana,https://x.com/a/status/1\n")
    database = f"sqlite:///{tmp_path / 'storydesk.db'}"
    assert invoke("--db", database, "init").exit_code == 0
    importing = ["--config", str(path), "--db", database, "consent", "import", str(export)]
    for args in (["check-config", str(path)], importing):
        outcome = invoke(*args)
        assert outcome.exit_code == 78, outcome.stderr
        assert f"{path}: line {line}: consent.list_separator:" in outcome.stderr
        assert "unexpected error" not in outcome.stderr


def test_a_value_of_the_wrong_form_is_told_in_words_not_as_a_pattern(tmp_path: Path) -> None:
    # "String should match pattern '^[a-z0-9][a-z0-9-]{1,62}$'" is nothing staff can act on
    text = (
        SANDBOX.read_text()
        .replace('id = "learning-never-stops"', 'id = "Learning Never Stops"', 1)
        .replace('author = "urn:li:organization:1000001"', 'author = "our page"', 1)
    )
    path = tmp_path / "campaign.toml"
    path.write_text(text)
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    lines = outcome.stderr.strip().splitlines()
    assert any(
        line.endswith("campaign.id: must be 2 to 63 lowercase letters, digits and dashes, "
                      "not starting with a dash (such as learning-never-stops)")
        for line in lines
    ), lines  # fmt: skip
    assert any(
        line.endswith("publish.linkedin.author: must be urn:li:organization:ID or urn:li:person:ID")
        for line in lines
    ), lines
    assert "pattern" not in outcome.stderr


def test_a_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text('[campaign]\nid = "x"\nname = \n')
    outcome = invoke("check-config", str(path))
    assert outcome.exit_code == 78
    assert f"{path}: line 3: TOML syntax" in outcome.stderr


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    outcome = invoke("check-config", str(tmp_path / "nope.toml"))
    assert outcome.exit_code == 78
    assert "no such campaign file" in outcome.stderr


def test_dummy_credentials_are_refused_for_a_real_host(tmp_path: Path) -> None:
    text = SANDBOX.read_text().replace(
        '[platforms.x]\nbase_url = "http://127.0.0.1:8765"',
        '[platforms.x]\nbase_url = "https://api.twitter.com"',
    )
    path = tmp_path / "mixed.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_campaign(path)
    assert "dummy_on_loopback is only allowed" in str(caught.value)
    assert "https://api.twitter.com" in str(caught.value)


def test_a_missing_credential_is_named_never_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORYDESK_X_BEARER_TOKEN", raising=False)
    with pytest.raises(ConfigError) as caught:
        require_env("STORYDESK_X_BEARER_TOKEN", "platforms.x.bearer_token_env")
    assert str(caught.value) == (
        "platforms.x.bearer_token_env: environment variable STORYDESK_X_BEARER_TOKEN is not set"
    )
    monkeypatch.setenv("STORYDESK_X_BEARER_TOKEN", "s3cret")
    assert require_env("STORYDESK_X_BEARER_TOKEN", "f") == "s3cret"
    sandbox = load_campaign(SANDBOX).settings
    monkeypatch.delenv("STORYDESK_X_BEARER_TOKEN")
    assert require_env("STORYDESK_X_BEARER_TOKEN", "f", sandbox) == DUMMY


def test_check_config_notes_unset_credentials_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYDESK_X_BEARER_TOKEN", "do-not-print-me")
    outcome = invoke("check-config", str(REAL))
    assert outcome.exit_code == 0
    assert "STORYDESK_YOUTUBE_API_KEY is not set" in outcome.stderr
    assert "do-not-print-me" not in outcome.stdout + outcome.stderr


def test_durations() -> None:
    assert parse_duration("15m").total_seconds() == 900
    assert parse_duration("1d").total_seconds() == 86400
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_a_section_left_out_has_the_defaults_a_written_empty_section_gets(tmp_path: Path) -> None:
    """Sections left out take their defaults without being validated (config.fields.defaults):
    each must equal what validating an empty section of that name gives, and stay frozen."""
    head = '[campaign]\nid = "c1"\nname = "C"\nhashtags = ["T"]\nstart = 2026-01-01\n'
    sections = ["rules", "consent", "consent.match", "platforms", "publish", "compliance"]
    sections += ["operations", "alerts", "credentials"]
    bare = tmp_path / "bare.toml"
    bare.write_text(head)
    written = tmp_path / "written.toml"
    written.write_text(head + "".join(f"[{name}]\n" for name in sections))
    left_out, empty = load_campaign(bare).settings, load_campaign(written).settings
    assert left_out == empty
    for name in sections:
        section = left_out
        for part in name.split("."):
            section = getattr(section, part)
        assert section == type(section).model_validate({}), name
        with pytest.raises(ValueError, match="frozen"):
            setattr(section, next(iter(type(section).model_fields), "x"), None)


def test_the_campaign_id_read_alone_is_the_one_the_full_load_gives(tmp_path: Path) -> None:
    """`queue` keeps to its campaign by the id read without the validator: it must be the
    validated id, or nothing (then the full load's error is what the user sees)."""
    from config.campaign_file import campaign_id_in
    from storydesk.context import AppContext

    for shipped in (REAL, SANDBOX):
        assert campaign_id_in(shipped) == load_campaign(shipped).id
    bad = tmp_path / "bad.toml"
    bad.write_text(SANDBOX.read_text().replace('id = "learning-never-stops"', 'id = "Bad Id"', 1))
    assert campaign_id_in(bad) is None
    assert campaign_id_in(tmp_path / "missing.toml") is None
    with pytest.raises(ConfigError) as said:
        AppContext(str(bad), "sqlite://").campaign_id()
    assert str(bad) in str(said.value) and "id" in str(said.value)
    assert AppContext(str(SANDBOX), "sqlite://").campaign_id() == "learning-never-stops"
