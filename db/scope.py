"""What a signed consent form allows: which publish targets, until when.

A form's scope lists agreed uses: "website" (the gallery), "social" (every social target),
or a platform name. A form without explicit scope covers nothing.
"""

from __future__ import annotations

from datetime import datetime

from db.models import ConsentRecord
from db.states import FormState
from platforms import registry

# the targets "social" and "website" stand for, and other names forms use (from the registry)
SOCIAL = tuple(p.name for p in registry.all_platforms() if p.can("publish") and not p.website)
WEBSITE = tuple(p.name for p in registry.all_platforms() if p.website)
ALIASES = {alias: p.name for p in registry.all_platforms() for alias in p.aliases}


def scope_targets(scope: list[str]) -> set[str]:
    social, website, aliases = list(SOCIAL), list(WEBSITE), ALIASES
    allowed: set[str] = set()
    for raw in scope:
        word = raw.strip().lower()
        if word in ("social", "social media", "all social"):
            allowed.update(social)
        elif word in ("all", "any"):
            allowed.update(social + website)
        else:
            allowed.add(aliases.get(word, word))
    return allowed


def refusal(record: ConsentRecord | None, target: str, now: datetime) -> str | None:
    """Why `record` does not allow `target` now, or None when it does."""
    if record is None:
        return "no consent form"
    if record.state != FormState.ACTIVE:
        return f"consent {record.state}"
    if record.expires_at is not None and record.expires_at <= now:
        return f"consent expired on {record.expires_at:%Y-%m-%d}"
    if not record.consent_scope:
        return "the consent form gives no scope"
    if target not in scope_targets(record.consent_scope):
        return f"the consent scope ({', '.join(record.consent_scope)}) does not cover {target}"
    return None
