from __future__ import annotations

import os

import click

from storydesk.context import AppContext


@click.command(name="check-config")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def command(app: AppContext, file: str | None) -> None:
    """Validate a campaign FILE (default: --config). Exit 0 if valid, 78 with one line per
    problem otherwise. Unset credential variables are listed as notes."""
    from config.loader import load_campaign, resolve_campaign_path
    from consent.parse import check_mapping

    path = file or resolve_campaign_path(app.config_path)
    loaded = load_campaign(path)
    settings = loaded.settings
    # the export's column names are the consent register's, which the schema cannot import
    check_mapping(settings.consent, str(path))
    click.echo(
        f"ok: {path}: campaign {loaded.id}; harvest from "
        f"{', '.join(settings.enabled_platforms()) or 'nothing'}; publish to "
        f"{', '.join(settings.publish.enabled_targets()) or 'nothing'}"
    )
    from datetime import UTC, datetime

    from config.lifecycle import notes

    for note in notes(settings, datetime.now(UTC).date()):
        click.echo(f"note: {note}", err=True)
    if settings.credentials.dummy_on_loopback:
        return
    for field, variable in _credential_variables(settings):
        if not os.environ.get(variable, "").strip():
            click.echo(f"note: {field}: environment variable {variable} is not set", err=True)


def _credential_variables(settings: object) -> list[tuple[str, str]]:
    from config.schema import Campaign

    assert isinstance(settings, Campaign)
    found: list[tuple[str, str]] = []
    for section_name in ("platforms", "publish"):
        section = getattr(settings, section_name)
        for name in type(section).model_fields:
            value = getattr(section, name)
            if value is None or not getattr(value, "enabled", False):
                continue
            for field in type(value).model_fields:
                if field.endswith("_env"):
                    found.append((f"{section_name}.{name}.{field}", getattr(value, field)))
    return found
