"""Every state a testimony, a copy's consent, a post at its source, a consent form, a
publication or a request for consent can be in: one place.

They are StrEnums, stored as the same words as before (no migration), so a log line, a JSON
answer or a CSV column shows the word itself. The model columns (db.models.base.StateColumn)
hand back the enum and refuse to write a word that is not one of its states (a typo fails at
the write, not in a report weeks later). No SQLAlchemy here: the CLI's choices come from
these enums without loading the database layer.
"""

from __future__ import annotations

from enum import StrEnum


class ConsentState(StrEnum):
    """A copy's consent evidence (consent_matches.state) and its testimony's
    (testimonies.consent_state)."""

    NONE = "none"  # nothing ties the account to a form
    MATCHED = "matched"  # a form names this very account, video or code
    NEEDS_CHECK = "needs-check"  # only a likeness: a reviewer must confirm it
    GUARDIAN_REQUIRED = "guardian-required"  # under the age of consent, no guardian signed
    REVOKED = "revoked"  # the participant withdrew consent


class SourceState(StrEnum):
    """A post at its source, as harvest and the compliance sweep last saw it
    (posts.source_state). Anything but available purges our copy (compliance)."""

    AVAILABLE = "available"
    DELETED = "deleted"
    PRIVATE = "private"  # YouTube: made private
    WITHHELD = "withheld"  # X: withheld in some country
    PROTECTED = "protected"  # X: the account's posts are protected
    SUSPENDED = "suspended"  # X: the account is suspended


class FormState(StrEnum):
    """A consent form itself (consent_records.state), whatever it was matched to."""

    ACTIVE = "active"
    REVOKED = "revoked"  # withdrawn: in the export, by `consent revoke` or by reply


class ReviewState(StrEnum):
    """What staff decided about a testimony (testimonies.review_state)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    HELD = "held"
    SOURCE_GONE = "source-gone"  # every copy deleted at its source


class PublicationState(StrEnum):
    """One reshare of a testimony on one target (publications.state)."""

    QUEUED = "queued"
    IN_FLIGHT = "in-flight"  # the call was made; a crash leaves it for recovery
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # the target cannot carry it (no copy there, no video file...)
    TAKEN_DOWN = "taken-down"


class RequestState(StrEnum):
    """A request for consent sent by `ask` (consent_requests.state)."""

    UNSENT = "unsent"  # recorded, not yet on the platform (or sent by hand later)
    ASKED = "asked"
    REMINDED = "reminded"  # asked again
    ANSWERED = "answered"  # a form came back with its code
    EXPIRED = "expired"  # no answer within consent.request.expire_after
    WITHDRAWN = "withdrawn"  # the poster withdrew by reply: never asked again


# out, or on its way out: what a takedown or a withdrawal must reach
LIVE_PUBLICATION = (
    PublicationState.QUEUED,
    PublicationState.FAILED,
    PublicationState.IN_FLIGHT,
    PublicationState.DONE,
)
# nothing more happens to these
SETTLED_PUBLICATION = (PublicationState.TAKEN_DOWN, PublicationState.SKIPPED)
