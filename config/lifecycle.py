"""Platform versions and access that check-config warns about before anything is sent.

Graph API versions live about two years; LinkedIn supports each monthly version for at
least a year, then answers 426; TikTok pulls files only from domains verified in the app.
"""

from __future__ import annotations

from datetime import date, timedelta

from config.fields import parse_duration
from config.schema import Campaign

# developers.facebook.com/docs/graph-api/changelog/versions (read 2026-12): version -> end
GRAPH_ENDS = {
    "v19.0": date(2026, 5, 21),
    "v20.0": date(2026, 9, 24),
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
}
CURRENT_GRAPH = "v25.0"
WARN_DAYS = 90
# Instagram's /{hashtag-id}/recent_media: media "published within the last 24 hours"
RECENT_MEDIA_WINDOW = timedelta(hours=24)
LINKEDIN_SUPPORT_MONTHS = 12  # learn.microsoft.com/linkedin/marketing/versioning


def graph_note(field: str, version: str, today: date) -> str | None:
    ends = GRAPH_ENDS.get(version)
    if ends is None:
        number = (
            float(version.lstrip("v") or 0) if version.lstrip("v").replace(".", "").isdigit() else 0
        )
        if number and number < float(min(GRAPH_ENDS).lstrip("v")):
            return f"{field}: Graph API {version} has ended: calls fail; use {CURRENT_GRAPH}"
        return None
    if ends <= today:
        return f"{field}: Graph API {version} ended on {ends}: calls fail; use {CURRENT_GRAPH}"
    if (ends - today).days <= WARN_DAYS:
        return (
            f"{field}: Graph API {version} ends on {ends} ({(ends - today).days} days); "
            f"move to {CURRENT_GRAPH}"
        )
    return None


def linkedin_note(version: str, today: date) -> str | None:
    year, month = int(version[:4]), int(version[4:6])
    age = (today.year - year) * 12 + (today.month - month)
    if age >= LINKEDIN_SUPPORT_MONTHS - 1:
        return (
            f"publish.linkedin.version: {version} is {age} months old; LinkedIn supports a "
            "version about a year, then answers 426: set a current one (YYYYMM)"
        )
    return None


def notes(settings: Campaign, today: date) -> list[str]:
    found: list[str] = []
    for section, name in (
        ("platforms", "facebook"),
        ("platforms", "instagram"),
        ("publish", "facebook"),
        ("publish", "instagram"),
    ):
        value = getattr(getattr(settings, section), name)
        if value is not None and value.enabled:
            note = graph_note(f"{section}.{name}.graph_version", value.graph_version, today)
            if note:
                found.append(note)
    linkedin = settings.publish.linkedin
    if linkedin is not None and linkedin.enabled:
        note = linkedin_note(linkedin.version, today)
        if note:
            found.append(note)
    instagram = settings.platforms.instagram
    if instagram is not None and instagram.enabled and instagram.collector == "graph":
        from platforms.instagram import hashtag_problem

        problem = hashtag_problem(settings.campaign.hashtags)
        if problem:
            found.append(problem)
        if parse_duration(instagram.every) >= RECENT_MEDIA_WINDOW:
            found.append(
                f"platforms.instagram.every: the Graph API's recent_media shows only the last "
                f"24 hours: with every = {instagram.every!r} posts older than that are never "
                "seen; harvest more often"
            )
    tiktok = settings.publish.tiktok
    if tiktok is not None and tiktok.enabled:
        found.append(
            "publish.tiktok: TikTok pulls the video files itself (PULL_FROM_URL): their "
            "domain must be verified in the TikTok app (URL properties)"
        )
        found.append(
            "publish.tiktok: TikTok rotates the refresh token on every refresh: storydesk "
            "keeps the newest in publish.tiktok.token_file (owner-only; default beside the "
            "campaign file); keep that file when moving the campaign"
        )
    return found
