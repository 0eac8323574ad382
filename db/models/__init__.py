"""All models, importable from one place; each part owns its module."""

from db.models.base import Base, UTCDateTime
from db.models.consent import ConsentMatch, ConsentRecord
from db.models.ops import AlertNotice, JobOutcome, Lease
from db.models.posts import Campaign, HarvestCursor, HarvestRun, Post, QuotaUsage, Testimony
from db.models.publish import Publication
from db.models.requests import ConsentRequest
from db.models.review import AuditEntry, Decision

__all__ = [
    "AlertNotice",
    "AuditEntry",
    "Base",
    "Campaign",
    "ConsentMatch",
    "ConsentRequest",
    "ConsentRecord",
    "Decision",
    "HarvestCursor",
    "HarvestRun",
    "JobOutcome",
    "Lease",
    "Post",
    "Publication",
    "QuotaUsage",
    "Testimony",
    "UTCDateTime",
]
