"""Alarms that reach people: each new alarm, and its recovery, sent once per channel.

What is sent comes from `status` (storydesk.ops.status.build_status): the same alarms, the
same words, with what to do. Channels (``[alerts]`` in the campaign file): e-mail over SMTP
(login and password from the environment) and a webhook that takes a JSON POST with a
Slack-compatible ``text`` field (its URL from the environment: a Slack webhook URL holds its
secret). Each (channel, alarm) is one row of ``alert_notices``: the alarm is sent once when
it is raised and once when it clears; a sending that fails is tried again on the next run,
never repeated once it went out. The daily digest tells staff what waits for them: by
e-mail to `digest_to` and on the webhook, once a day on each.

Runs as the "alerts" job of `run-once` and the daemon, after the other jobs, under their
lease: two hosts never send the same alert.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.credentials import require_env
from config.errors import ConfigError, WorkFailed
from config.redact import redact
from config.schema import Alerts, LoadedCampaign
from db.models import AlertNotice, Publication, Testimony
from db.session import transaction
from db.states import ConsentState, ReviewState


class Channel(Protocol):
    name: str

    def send(self, subject: str, text: str) -> None: ...


@dataclass
class EmailChannel:
    settings: Alerts
    to: list[str]
    name: str = "email"

    def send(self, subject: str, text: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            s.email_from,
            ", ".join(self.to),
            subject,
        )
        message.set_content(text)
        smtp_class = smtplib.SMTP_SSL if s.smtp_security == "ssl" else smtplib.SMTP
        try:
            with smtp_class(s.smtp_host, s.smtp_port, timeout=s.timeout_seconds) as smtp:
                if s.smtp_security == "starttls":
                    smtp.starttls()
                if s.smtp_user_env:
                    user = require_env(s.smtp_user_env, "alerts.smtp_user_env")
                    password = require_env(s.smtp_password_env, "alerts.smtp_password_env")
                    smtp.login(user, password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise WorkFailed(
                f"alerts: e-mail through {s.smtp_host}:{s.smtp_port} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from None


@dataclass
class WebhookChannel:
    variable: str
    timeout: float
    name: str = "webhook"

    def send(self, subject: str, text: str) -> None:
        url = require_env(self.variable, "alerts.webhook_url_env")
        if not url.startswith(("https://", "http://")):
            raise ConfigError(f"alerts.webhook_url_env: {self.variable} is not an http(s) URL")
        try:
            answer = requests.post(
                url,
                json={"text": f"{subject}\n{text}"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise WorkFailed(f"alerts: webhook failed: {type(exc).__name__}") from None
        if answer.status_code >= 300:
            raise WorkFailed(f"alerts: webhook answered HTTP {answer.status_code}")


def channels(settings: Alerts) -> list[Channel]:
    found: list[Channel] = []
    if settings.email_to:
        found.append(EmailChannel(settings, list(settings.email_to)))
    if settings.webhook_url_env:
        found.append(WebhookChannel(settings.webhook_url_env, settings.timeout_seconds))
    return found


@dataclass
class AlertSummary:
    raised: int = 0
    cleared: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)


def _text(alarm: dict[str, Any]) -> str:
    action = alarm.get("action")
    return str(alarm["message"]) + (f"\nWhat to do: {action}" if action else "")


def _deliver(
    sessions: sessionmaker[Session],
    key: str,
    column: str,
    channel: Channel,
    subject: str,
    text: str,
    now: datetime,
    summary: AlertSummary,
) -> bool:
    try:
        channel.send(redact(subject), redact(text))
    except (ConfigError, WorkFailed) as exc:
        error = redact(exc.message)
        summary.errors.append(error)
        with transaction(sessions) as session:
            session.get_one(AlertNotice, key).last_error = error
        return False
    with transaction(sessions) as session:
        row = session.get_one(AlertNotice, key)
        setattr(row, column, now)
        row.last_error = None
    return True


def send_alerts(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    now: datetime,
    available: list[Channel] | None = None,
) -> AlertSummary:
    """Raise what is new, clear what recovered, each once per channel; then the digest."""
    from storydesk.ops.status import build_status

    settings = loaded.settings.alerts
    summary = AlertSummary()
    found = channels(settings) if available is None else available
    with sessions() as session:
        alarms = {a["key"]: a for a in build_status(session, loaded, now)["alarms"]}
    prefix = f"[storydesk {loaded.id}]"
    for channel in found:
        keyed = {f"{channel.name}|{loaded.id}|{k}": a for k, a in alarms.items()}
        with transaction(sessions) as session:
            rows = {
                r.key: r
                for r in session.scalars(
                    select(AlertNotice).where(
                        AlertNotice.campaign_id == loaded.id,
                        AlertNotice.key.startswith(f"{channel.name}|"),
                        AlertNotice.kind != "digest",
                    )
                )
            }
            for key, alarm in keyed.items():
                row = rows.get(key)
                if row is None or row.cleared_at is not None:
                    if row is None:
                        row = AlertNotice(key=key, campaign_id=loaded.id)
                        session.add(row)
                    row.kind, row.message, row.raised_at = alarm["kind"], alarm["message"], now
                    row.raised_sent_at = row.cleared_at = row.cleared_sent_at = None
            for key, row in rows.items():
                if key not in keyed and row.cleared_at is None:
                    row.cleared_at = now
                    if row.raised_sent_at is None:  # never announced: nothing to take back
                        row.cleared_sent_at = now
            pending = [
                (r.key, r.kind, r.message, r.raised_sent_at is None)
                for r in session.scalars(
                    select(AlertNotice).where(
                        AlertNotice.campaign_id == loaded.id,
                        AlertNotice.key.startswith(f"{channel.name}|"),
                        AlertNotice.kind != "digest",
                        (AlertNotice.raised_sent_at.is_(None))
                        | (
                            AlertNotice.cleared_at.is_not(None)
                            & AlertNotice.cleared_sent_at.is_(None)
                        ),
                    )
                )
            ]
        for key, kind, message, raising in pending:
            if raising:
                text = _text(keyed[key]) if key in keyed else message
                if _deliver(
                    sessions,
                    key,
                    "raised_sent_at",
                    channel,
                    f"{prefix} ALARM {kind}",
                    text,
                    now,
                    summary,
                ):
                    summary.raised += 1
            elif _deliver(
                sessions,
                key,
                "cleared_sent_at",
                channel,
                f"{prefix} RECOVERED {kind}",
                f"Recovered: {message}",
                now,
                summary,
            ):
                summary.cleared += 1
    digest: list[tuple[str, Channel]] = []
    if settings.digest_to:
        digest.append((f"digest|{loaded.id}", EmailChannel(settings, list(settings.digest_to))))
    digest += [(f"{c.name}|digest|{loaded.id}", c) for c in found if c.name == "webhook"]
    for key, channel in digest:
        summary.digests += send_digest(sessions, loaded, now, summary, key, channel)
    return summary


def digest_text(session: Session, loaded: LoadedCampaign) -> str:
    """The daily note to staff: the work that waits for a person."""
    from publisher.manual import by_hand

    mine = Testimony.campaign_id == loaded.id
    pending = session.scalar(
        select(func.count())
        .select_from(Testimony)
        .where(mine, Testimony.review_state == ReviewState.PENDING)
    )
    check = session.scalar(
        select(func.count())
        .select_from(Testimony)
        .where(
            mine,
            Testimony.review_state == ReviewState.PENDING,
            Testimony.consent_state == ConsentState.NEEDS_CHECK,
        )
    )
    by_hand = session.scalar(
        select(func.count())
        .select_from(Publication)
        .join(Testimony, Testimony.id == Publication.testimony_id)
        .where(
            mine,
            Publication.target.in_(sorted(by_hand())),
            Publication.takedown_requested_at.is_not(None),
            Publication.taken_down_at.is_(None),
            Publication.external_id.is_not(None),
        )
    )
    return (
        f"{pending} testimonies await review, {check} need a consent check, "
        f"{by_hand} takedowns to do by hand.\n"
        "`storydesk review` steps through the queue; `storydesk status` lists the takedowns."
    )


def _digest_due(last: datetime | None, at: str, now: datetime) -> bool:
    hours, minutes = (int(p) for p in at.split(":"))
    today = datetime.combine(now.astimezone(UTC).date(), time(hours, minutes), tzinfo=UTC)
    if now < today:
        today -= timedelta(days=1)  # before today's hour: yesterday's digest is the one due
    return last is None or last < today


def send_digest(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    now: datetime,
    summary: AlertSummary,
    key: str,
    channel: Channel,
) -> int:
    """The day's digest on one channel (staff's e-mail, the webhook), once a day each: a
    channel that failed is tried again on the next run without resending on the other."""
    settings = loaded.settings.alerts
    with transaction(sessions) as session:
        row = session.get(AlertNotice, key)
        if row is not None and not _digest_due(row.raised_sent_at, settings.digest_at, now):
            return 0
        text = digest_text(session, loaded)
        if row is None:
            row = AlertNotice(key=key, campaign_id=loaded.id, kind="digest", raised_at=now)
            session.add(row)
        row.message = text
    subject = f"[storydesk {loaded.id}] daily digest: {text.split('.')[0]}"
    return (
        1 if _deliver(sessions, key, "raised_sent_at", channel, subject, text, now, summary) else 0
    )


def alerts_job(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Callable[[], datetime]
) -> Callable[[], Any]:
    """The job the runner calls: an Outcome, failed when a sending failed (tried again)."""

    def run() -> Any:
        from storydesk.ops.jobs import Outcome

        summary = send_alerts(sessions, loaded, clock())
        detail = {"raised": summary.raised, "cleared": summary.cleared, "digest": summary.digests}
        if summary.errors:
            return Outcome("alerts", "failed", detail, "; ".join(dict.fromkeys(summary.errors)))
        return Outcome("alerts", "ok", detail)

    return run
