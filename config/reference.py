"""The campaign file reference, made from the schema itself so it cannot drift.

`python -m config.reference` prints the Markdown that sits in the README between the
`campaign-reference` markers; a test checks the two are the same and that every key the
schema knows has a description here.
"""

from __future__ import annotations

import json
import sys
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from config.schema import Campaign

# Exact paths first; then a platform's own field descriptions (platforms/); then "*.name"
# for keys every platform or target shares.
DESCRIPTIONS: dict[str, str] = {
    "campaign.id": "Short name, lower case and dashes; stamped on every stored record.",
    "campaign.name": "The campaign's full name, shown in the gallery and reports.",
    "campaign.hashtags": "Hashtags harvested (with or without `#`); a post needs one of them.",
    "campaign.mentions": "Accounts a post must mention when `rules.require_mention` is on.",
    "campaign.start": "First day of the campaign; earlier posts break a rule.",
    "campaign.end": "Last day, if the campaign ends; later posts break a rule.",
    "roles.NAME.label": "How the role is shown to reviewers.",
    "roles.NAME.says": "What a participant in this role says about themselves.",
    "roles.NAME.questions": "The questions this role answers; detected in the text when quoted.",
    "roles.NAME.keywords": "Words that reveal the role in a post's text (any language).",
    "rules.max_video_seconds": "Longest video accepted, in seconds.",
    "rules.require_hashtag": "A post without one of the campaign's hashtags breaks a rule.",
    "rules.require_mention": "A post without one of the `mentions` breaks a rule.",
    "rules.require_video": "A post without a video breaks a rule.",
    "rules.minimum_age_without_guardian": "Below this age a guardian must sign the form.",
    "consent.columns": "Our column name = the header in your form tool's export.",
    "consent.list_separator": "Separates several values in one cell (video URLs, handles).",
    "consent.date_format": "`DD/MM/YYYY` or `MM/DD/YYYY`: how the export writes a date such"
    " as 01/02/2027 (without it, such a date is a row error; ISO dates always work).",
    "consent.match.name_threshold": "Name similarity (0-100) for a `needs-check` suggestion.",
    "consent.match.city_threshold": "City similarity (0-100) needed with the name.",
    "consent.match.handle_typo_threshold": "Similarity for a mistyped handle (`needs-check`).",
    "consent.request.form_url": "The form's address for `storydesk ask`, with `{code}`: each"
    " request's own code, which the form tool exports back in a `code` column.",
    "consent.request.text": 'The request per language (`en = "..."`); `{link}` (required),'
    " `{first_name}`, `{handle}`.",
    "consent.request.default_language": "The text used when the post's language has none.",
    "consent.request.per_hour": "At most this many requests (replies and messages) in any"
    " 60 minutes; the rest wait (exit 75).",
    "consent.request.expire_after": "A request unanswered this long becomes `expired`.",
    "consent.request.opt_in_hashtag": "An answer by reply with it, from the poster, is"
    " recorded as intent: not a signed form (see `opt_in_as_consent`).",
    "consent.request.opt_in_as_consent": '`"never"`: an opt-in by reply is intent only.'
    ' `"social"`: it stands in for a signed form for the social targets (never the'
    " gallery), for the copy it answered, and never for a minor: not when a form or the"
    " post says the person is under `rules.minimum_age_without_guardian`, nor when nothing"
    " says their age.",
    "consent.request.withdraw_hashtag": "An answer by reply with it, from the poster,"
    " withdraws consent like `consent revoke`.",
    "publish.every": "How often the daemon publishes what is due.",
    "publish.max_attempts": "Attempts before a publication is left failed for a person. A"
    " refused credential or a missing setting spends none: each such publication is tried again"
    " an hour later (one call to the target per cycle) until someone fixes it.",
    "compliance.every": "How often deleted or private sources are looked for.",
    "compliance.x_lookup_batch": "Tweets looked up per request (X allows 100).",
    "compliance.x_recheck_after": "An X post is looked up again only this long after its"
    " last check, and only while a reshare of it is out or it awaits review (X charges each"
    " post read).",
    "compliance.youtube_refresh_days": "YouTube data older than this is refreshed or deleted.",
    "compliance.purge_unmatched_after_days": "Posts never matched to a form are reduced to "
    "ids, URL and rule results after this many days.",
    "operations.jitter_seconds": "Random delay added to each scheduled job (daemon).",
    "operations.zero_harvest_alarm_after": "No new posts for this long, though harvests ran "
    "fine, raises an alarm (`status`).",
    "operations.failing_alarm_runs": "Failed harvests in a row that raise an alarm.",
    "alerts.email_to": "Who is e-mailed each new alarm and its recovery (once each).",
    "alerts.digest_to": "Staff e-mailed the daily digest of work waiting for them.",
    "alerts.email_from": "Sender address of alert and digest e-mails.",
    "alerts.smtp_host": "Mail server for alerts.",
    "alerts.smtp_port": "Its port (587 with STARTTLS, 465 with SSL, 25 plain).",
    "alerts.smtp_security": "`starttls`, `ssl` or `none`.",
    "alerts.smtp_user_env": "Variable holding the mail server login (unset: no login).",
    "alerts.smtp_password_env": "Variable holding the mail server password.",
    "alerts.webhook_url_env": "Variable holding a webhook URL (Slack-compatible JSON"
    " `text`): alarms, recoveries and the daily digest.",
    "alerts.digest_at": "Time of day (UTC) after which the daily digest goes out.",
    "operations.lock_file": "Lock for `run-once` on SQLite (default: beside the database).",
    "credentials.dummy_on_loopback": "Sandbox only: unset credential variables stand as "
    "dummies while every base_url is on this machine.",
    "*.enabled": "Set `false` to leave this platform or target out.",
    "*.base_url": "The service's address; only the sandbox changes it.",
    "*.every": "How often the daemon harvests this platform (`30s`, `15m`, `6h`, `1d`).",
    "*.timeout_seconds": "Seconds before a request is given up.",
    "*.max_retries": "Retries of a server error, with back-off.",
    "*.max_pages_per_run": "Pages one harvest run reads at most; the next run goes on.",
    "*.connect_timeout_seconds": "Seconds to wait for a connection to the platform.",
    "*.deadline_seconds": "Seconds one whole request may take, however slowly the server "
    "sends (a server trickling its answer is cut off here).",
    "*.max_response_mb": "Largest answer read from the platform, in MB; a larger one fails "
    "the call unread.",
    "*.graph_version": "Graph API version in the path.",
    "*.access_token_env": "Variable holding the access token.",
}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for arg in typing.get_args(annotation) or (annotation,):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        if typing.get_origin(arg) is dict:
            found = _model_of(typing.get_args(arg)[1])
            if found:
                return found
    return None


def keys(model: type[BaseModel] = Campaign, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, field) for every leaf key of the campaign file."""
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        sub = _model_of(field.annotation)
        if sub is None:
            yield path, field
        elif typing.get_origin(field.annotation) is dict:
            yield from keys(sub, path + ".NAME")  # a table per entry, e.g. [roles.learner]
        else:
            yield from keys(sub, path)


def describe(path: str, field: Any = None) -> str | None:
    """The text for a key: here, or (a platform's own keys) the field's description."""
    return (
        DESCRIPTIONS.get(path)
        or getattr(field, "description", None)
        or DESCRIPTIONS.get("*." + path.rsplit(".", 1)[-1])
    )


def _default(field: Any) -> str:
    if field.default is PydanticUndefined:
        return "required"
    if field.default is None:
        return "-"
    return f"`{json.dumps(field.default, ensure_ascii=False, default=str)}`"


def render() -> str:
    lines = ["| key | default | what it is |", "| --- | --- | --- |"]
    for path, field in keys():
        text = (describe(path, field) or "").replace("|", "\\|")
        default = _default(field).replace("|", "\\|")
        lines.append(f"| `{path}` | {default} | {text} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
