"""What a platform is to storydesk: one object holding everything that differs per platform.

The rest of the app asks the registry (platforms.registry) and never lists platform names:
the campaign file's sections, the CLI's choices, the consent form's account fields, the
compliance steps, the purge and the demo's summary all derive from these objects. The
builders import the harvester, publisher or compliance module they need when they are
called, so importing a platform costs nothing and imports run one way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from config.errors import StorydeskError
from config.fields import Harvest, Strict, Target
from consent import normalise

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from compliance.summary import ComplianceSummary
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from harvester.common import Collector
    from publisher.common import Target as PublishTarget

    Sessions = sessionmaker[Session]
    Step = Callable[[ComplianceSummary], None]

CAPABILITIES = ("harvest", "publish", "delete", "reply")

# exc, what was being done, now -> the error by who must act (None: not this platform's)
Classifier = Callable[[BaseException, str, datetime], StorydeskError | None]
# the consent form's value for this platform -> (account id, handle), either may be None
ConsentReader = Callable[[str | None], tuple[str | None, str | None]]


def _plain_handle(value: str | None) -> tuple[str | None, str | None]:
    return None, normalise.handle(value)


def _unclassified(exc: BaseException, what: str, now: datetime) -> StorydeskError | None:
    return None


@dataclass(frozen=True)
class Platform:
    """One platform. `capabilities` says what storydesk can do there (the freqtrade
    `has` dict); the builders exist exactly for what it says."""

    name: str
    label: str
    capabilities: Mapping[str, bool]
    # [platforms.NAME] and [publish.NAME] of the campaign file
    harvest_settings: type[Harvest] | None = None
    publish_settings: type[Target] | type[Strict] | None = None
    # (sessions, loaded, clock) -> the collectors of one harvest run
    collectors: Callable[[Sessions, LoadedCampaign, Clock], list[Collector]] | None = None
    # (loaded, clock) -> the publish target
    target: Callable[[LoadedCampaign, Clock], PublishTarget] | None = None
    # (sessions, loaded, clock) -> the compliance step that checks stored sources
    source_check: Callable[[Sessions, LoadedCampaign, Clock], Step] | None = None
    # one mapping of this platform's client errors, shared by harvest, publish, compliance
    classify: Classifier = _unclassified
    # the consent form's column that names the person's account here, and how to read it
    consent_field: str | None = None
    consent_reader: ConsentReader = _plain_handle
    # other words consent forms use for it ("twitter"), and whether it is the website
    # the shapes of the platform's own post and author ids (its API reference): an item whose
    # id has another shape is not stored (harvester.validate)
    id_shape: re.Pattern[str] | None = None
    author_id_shape: re.Pattern[str] = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
    aliases: tuple[str, ...] = ()
    website: bool = False
    # its target reshares the participant's own post on this platform (a retweet, a playlist
    # entry, a repost), so only a copy on this platform that goes out can carry it
    reshares_own_post: bool = False
    # posts are found by tagging the campaign's page, not by hashtag or mention (Facebook:
    # hashtags do not find posts there), so the hashtag and mention rules do not apply
    found_by_page_tag: bool = False
    # a link to one of this platform's videos, its first group the video's id: a post
    # elsewhere that links to a stored video is suggested as the same testimony
    video_link: re.Pattern[str] | None = None
    # the field of its harvest settings naming the variable that holds the credential the
    # platform counts quota or paid reads against (Google per API key, X per app): the
    # ledger keeps units per that variable's name (db/quota.py), never per its value
    quota_credential: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.capabilities) - set(CAPABILITIES)
        if unknown:
            raise ValueError(f"{self.name}: unknown capabilities {sorted(unknown)}")
        harvest = bool(self.capabilities.get("harvest"))
        if harvest != (self.collectors is not None and self.harvest_settings is not None):
            raise ValueError(f"{self.name}: harvest needs collectors and harvest settings")
        publish = bool(self.capabilities.get("publish"))
        if publish != (self.target is not None and self.publish_settings is not None):
            raise ValueError(f"{self.name}: publish needs a target and publish settings")

    def can(self, capability: str) -> bool:
        return bool(self.capabilities.get(capability))


def reraise(classify: Classifier, exc: BaseException, what: str, now: datetime) -> NoReturn:
    """Raise `exc` as the error the platform's mapping says it is (or as it is, if unknown).
    Call it from an `except` block."""
    error = classify(exc, what, now)
    if error is None:
        raise exc
    raise error from exc
