"""What a signed consent form allows: which publish targets, until when.

A form's scope lists agreed uses: "website" (the gallery), "social" (every social target),
or a platform name. A form without explicit scope covers nothing.
"""

from __future__ import annotations

from datetime import datetime

from db.models import ConsentRecord

SOCIAL = ("x", "youtube", "instagram", "facebook", "linkedin", "tiktok")
ALIASES = {"website": "gallery", "web": "gallery", "gallery": "gallery", "twitter": "x"}


def scope_targets(scope: list[str]) -> set[str]:
    allowed: set[str] = set()
    for raw in scope:
        word = raw.strip().lower()
        if word in ("social", "social media", "all social"):
            allowed.update(SOCIAL)
        elif word in ("all", "any"):
            allowed.update(SOCIAL)
            allowed.add("gallery")
        else:
            allowed.add(ALIASES.get(word, word))
    return allowed


def refusal(record: ConsentRecord | None, target: str, now: datetime) -> str | None:
    """Why `record` does not allow `target` now, or None when it does."""
    if record is None:
        return "no consent form"
    if record.state != "active":
        return f"consent {record.state}"
    if record.expires_at is not None and record.expires_at <= now:
        return f"consent expired on {record.expires_at:%Y-%m-%d}"
    if not record.consent_scope:
        return "the consent form gives no scope"
    if target not in scope_targets(record.consent_scope):
        return f"the consent scope ({', '.join(record.consent_scope)}) does not cover {target}"
    return None


def allowed_targets(record: ConsentRecord | None, targets: list[str], now: datetime) -> list[str]:
    return [t for t in targets if refusal(record, t, now) is None]
