"""Purging a stored copy: the words, the raw payload and who wrote it go; ids stay.

What is kept (ids, URL, rule results, states, times) is what the audit trail and the
campaign report need to prove what happened, and nothing that says who a person is.
"""

from __future__ import annotations

from datetime import datetime

from db.models import ConsentRecord, Post
from db.models.consent import personal_fields
from db.states import SourceState
from platforms import registry

# The form's personal fields, as marked on the model, and every platform's account field
# (the registry's, marked or not); response_id, state, scope, dates and row hash stay as proof.
PERSONAL_CONSENT_FIELDS = tuple(
    dict.fromkeys([*personal_fields(), *registry.consent_fields().values()])
)


def purge_post(post: Post, now: datetime, source_state: SourceState | None = None) -> None:
    """Drop the stored copy of `post` (text, raw, author); keep ids, URL and rule results."""
    post.text = ""
    post.raw = None
    post.author_id = None
    post.author_handle = None
    post.author_name = None
    post.mentions = []
    post.links = []
    post.media_url = None
    post.edit_history = []
    post.fingerprint = None
    post.purged_at = now
    post.updated_at = now
    if source_state is not None:
        post.source_state = source_state
        post.source_checked_at = now


def purge_consent(record: ConsentRecord, now: datetime) -> None:
    for name in PERSONAL_CONSENT_FIELDS:
        setattr(record, name, None)
    record.video_urls = []
    record.history = []
    record.personal_data_purged_at = now
