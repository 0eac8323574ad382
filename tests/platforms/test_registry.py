"""The registry is the one list of platforms: a made-up platform, registered and nothing
else, shows up in the campaign file's schema, the CLI's choices, the consent form's fields,
the compliance sweep and the purge. An unknown name is an error, never a default."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from config.errors import ConfigError
from platforms import registry

REPO = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: the schema and the CLI are built from the registry when first
# imported, so the fake must be registered before anything else looks.
FAKE = textwrap.dedent(
    """
    import json
    from pydantic import Field
    from config.fields import EnvName, Harvest, Target, Url
    from platforms import registry
    from platforms.base import Platform

    class FakeHarvest(Harvest):
        base_url: Url = "https://api.fake.example"
        token_env: EnvName = Field("FAKE_TOKEN", description="Variable holding the token.")

    class FakePublish(Target):
        base_url: Url = "https://api.fake.example"

    checked = []

    def source_check(sessions, loaded, clock):
        return lambda summary: checked.append(loaded.id)

    registry.register(Platform(
        name="fakebook",
        label="Fakebook",
        capabilities={"harvest": True, "publish": True, "delete": True},
        harvest_settings=FakeHarvest,
        publish_settings=FakePublish,
        collectors=lambda sessions, loaded, clock: [],
        target=lambda loaded, clock: None,
        source_check=source_check,
        consent_field="fakebook_handle",
    ))

    from click.testing import CliRunner
    from compliance.purge import PERSONAL_CONSENT_FIELDS
    from compliance.sweep import _source_steps
    from config.clock import FakeClock
    from config.reference import render
    from config.schema import Campaign, LoadedCampaign
    from storydesk.cli import cli

    campaign = Campaign.model_validate({
        "campaign": {"id": "fake", "name": "F", "hashtags": ["T"], "start": "2026-01-01"},
        "platforms": {"fakebook": {"token_env": "FAKE_TOKEN"}},
        "publish": {"fakebook": {}},
    })
    loaded = LoadedCampaign(settings=campaign, path="fake.toml", config_hash="0")
    steps = _source_steps(None, loaded, FakeClock())
    for _, step in steps:
        step(None)
    runner = CliRunner()
    print(json.dumps({
        "enabled": campaign.enabled_platforms(),
        "targets": campaign.publish.enabled_targets(),
        "reference": "platforms.fakebook.token_env" in render(),
        "harvest_help": runner.invoke(cli, ["harvest", "--help"]).output,
        "publish_help": runner.invoke(cli, ["publish", "--help"]).output,
        "queue_help": runner.invoke(cli, ["queue", "--help"]).output,
        "consent_fields": registry.consent_fields(),
        "purged": list(PERSONAL_CONSENT_FIELDS),
        "swept": [name for name, _ in steps],
        "checked": checked,
    }))
    """
)


def test_a_platform_registered_alone_reaches_every_list() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FAKE], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["enabled"] == ["fakebook"]  # the config schema has [platforms.fakebook]
    assert seen["targets"] == ["fakebook"]  # ... and [publish.fakebook]
    assert seen["reference"]  # the campaign file reference documents its keys
    assert "fakebook" in seen["harvest_help"]  # the CLI's choices
    assert "fakebook" in seen["publish_help"]
    assert "fakebook" in seen["queue_help"]
    assert seen["consent_fields"]["fakebook"] == "fakebook_handle"  # the consent form
    assert "fakebook_handle" in seen["purged"]  # the purge forgets it
    assert seen["swept"] == ["fakebook"] and seen["checked"] == ["fake"]  # compliance


def test_an_unknown_platform_is_an_error_not_a_default() -> None:
    with pytest.raises(ConfigError, match="unknown platform 'myspace'"):
        registry.get("myspace")


def test_a_platform_may_not_claim_what_it_cannot_build() -> None:
    from platforms.base import Platform

    with pytest.raises(ValueError, match="harvest needs collectors"):
        Platform(name="half", label="Half", capabilities={"harvest": True})


def test_every_consent_field_is_a_column_of_the_consent_record() -> None:
    from db.models import ConsentRecord

    columns = set(ConsentRecord.__table__.columns.keys())
    assert set(registry.consent_fields().values()) <= columns


def test_unknown_platform_in_the_campaign_file_names_it() -> None:
    from pydantic import ValidationError

    from config.schema import Campaign

    with pytest.raises(ValidationError, match="myspace"):
        Campaign.model_validate(
            {
                "campaign": {"id": "c1", "name": "C", "hashtags": ["T"], "start": "2026-01-01"},
                "platforms": {"myspace": {}},
            }
        )


def test_every_consent_field_is_marked_personal_so_a_purge_forgets_it() -> None:
    from compliance.purge import PERSONAL_CONSENT_FIELDS
    from consent.parse import COLUMNS
    from db.models.consent import personal_fields

    for field in registry.consent_fields().values():
        assert field in personal_fields()
        assert field in PERSONAL_CONSENT_FIELDS
        assert field in COLUMNS  # the parser reads it from the export
