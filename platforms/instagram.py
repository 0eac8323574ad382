"""Instagram: the campaign's hashtags through instaloader (a logged-in session) or the Graph
API's hashtag search, and reels of approved testimonies through the Graph API."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from config.credentials import DUMMY, require_env
from config.errors import ConfigError
from config.fields import EnvName, GraphVersion, Harvest, PathSegment, Target, Template, Url
from platforms import graph, http
from platforms.base import Platform

if TYPE_CHECKING:
    import instaloader
    import requests
    from sqlalchemy.orm import Session, sessionmaker

    from compliance.summary import ComplianceSummary
    from config.clock import Clock
    from config.schema import LoadedCampaign
    from harvester.common import Collector
    from platforms.transport import HttpPolicy
    from publisher.common import Target as PublishTarget


# "You can query a maximum of 30 unique hashtags within a 7 day period" (Instagram Graph API,
# ig-hashtag-search reference and the hashtag-search guide), per Instagram account.
HASHTAGS_PER_WEEK = 30


def hashtag_problem(hashtags: list[str]) -> str | None:
    """The campaign asks for more hashtags than the Graph API lets one account search."""
    unique = {tag.lower() for tag in hashtags}
    if len(unique) <= HASHTAGS_PER_WEEK:
        return None
    return (
        f"campaign.hashtags: {len(unique)} hashtags, but the Graph API lets an Instagram "
        f"account search {HASHTAGS_PER_WEEK} unique hashtags a week "
        '(platforms.instagram collector = "graph"): keep at most 30'
    )


class InstagramHarvest(Harvest):
    base_url: Url = "https://www.instagram.com"
    mobile_base_url: Url = Field(
        "https://i.instagram.com", description="Instagram's mobile API host (instaloader)."
    )
    # The Graph API's hashtag search is the compliant path (needs app review); instaloader
    # scrapes with a logged-in session, against Instagram's terms: only when a campaign asks.
    collector: Literal["graph", "instaloader"] = Field(
        "graph",
        description="`graph` (the Graph API's hashtag search, the default) or `instaloader` "
        "(a logged-in session; opt-in, against Instagram's terms).",
    )
    # instaloader: the session file saved by `instaloader --login`; its path is not a secret
    # but the file is, so the path comes from the environment too.
    session_file_env: EnvName = Field(
        "STORYDESK_INSTAGRAM_SESSION_FILE",
        description="Variable holding the instaloader session file.",
    )
    username_env: EnvName = Field(
        "STORYDESK_INSTAGRAM_USERNAME",
        description="Variable holding the session's Instagram user.",
    )
    # graph collector
    graph_base_url: Url = Field(
        "https://graph.facebook.com", description="Graph API host for the `graph` collector."
    )
    graph_version: GraphVersion = "v25.0"  # lives until 2028-07-29 (Meta changelog)
    ig_user_id: PathSegment | None = Field(
        None, description="The campaign's Instagram business account id (graph)."
    )
    access_token_env: EnvName = "STORYDESK_INSTAGRAM_ACCESS_TOKEN"


class InstagramPublish(Target):
    base_url: Url = "https://graph.facebook.com"
    graph_version: GraphVersion = "v25.0"  # lives until 2028-07-29 (Meta changelog)
    ig_user_id: PathSegment = Field(description="The campaign's Instagram business account id.")
    access_token_env: EnvName = "STORYDESK_INSTAGRAM_ACCESS_TOKEN"
    caption: Template = Field(
        "{first_name}, {city}: {excerpt} {hashtags}",
        description="Reel caption, with the same fields as `publish.x.template`.",
    )


def _errors_to_the_log(context: instaloader.InstaloaderContext) -> None:
    """instaloader prints its non-fatal errors to stderr even when quiet (and again at
    exit): a line of its own beside storydesk's for the same failure, which reaches the
    harvester as an exception and is said there in one line. They go to the log, for
    --debug, named as instagram's."""
    import logging

    log = logging.getLogger("storydesk.instagram")

    def error(msg: str, repeat_at_end: bool = True) -> None:
        log.debug("instagram (instaloader): %s", msg)

    context.error = error  # type: ignore[method-assign]


def instaloader_client(loaded: LoadedCampaign, clock: Clock) -> instaloader.Instaloader:
    import instaloader

    from platforms.transport import HttpPolicy

    settings: InstagramHarvest = loaded.settings.platforms.instagram
    policy = HttpPolicy.of(settings, "platforms.instagram")
    loader = instaloader.Instaloader(
        sleep=False,
        quiet=True,
        max_connection_attempts=1,
        iphone_support=False,
        download_pictures=False,
        download_videos=False,
        save_metadata=False,
        request_timeout=settings.timeout_seconds,
        rate_controller=lambda ctx: _rate_controller(ctx, clock),
    )
    _errors_to_the_log(loader.context)
    route_instaloader(
        loader.context,
        {"www.instagram.com": settings.base_url, "i.instagram.com": settings.mobile_base_url},
        policy,
    )
    username = require_env(
        settings.username_env, "platforms.instagram.username_env", loaded.settings
    )
    session_file = require_env(
        settings.session_file_env, "platforms.instagram.session_file_env", loaded.settings
    )
    if session_file == DUMMY:  # sandbox: a made-up session, no file
        loader.load_session(
            username,
            {"sessionid": session_file, "csrftoken": "dummy", "ds_user_id": "1", "mid": "dummy"},
        )
    else:
        try:
            loader.load_session_from_file(username, session_file)
        except FileNotFoundError:
            raise ConfigError(
                f"platforms.instagram.session_file_env: the session file named by "
                f"{settings.session_file_env} does not exist (make it with `instaloader --login`)"
            ) from None
    return loader


def route_instaloader(
    context: instaloader.InstaloaderContext,
    hosts: Mapping[str, str],
    policy: HttpPolicy | None = None,
) -> None:
    """Send every session this instaloader context builds to host -> base_url (`hosts`), held
    to `policy`; no other session in the process is touched.

    instaloader 4.16 has no base-URL option and builds bare requests sessions of its own
    (instaloadercontext.py): the anonymous one (get_anonymous_session: at start, and for
    anonymous_copy, get_raw and head), the logged-in one (load_session, login,
    two_factor_login), and for each GraphQL or iPhone query a copy of the current one (the
    module function copy_session). The first two are wrapped on this context object; the
    copy keeps the routes of the session it copies (_copies_keep_routes)."""
    from platforms.transport import route_session

    def route(session: requests.Session) -> requests.Session:
        return route_session(session, hosts, policy)

    anonymous = context.get_anonymous_session
    setattr(context, "get_anonymous_session", lambda: route(anonymous()))  # noqa: B010
    for name in ("load_session", "login", "two_factor_login"):
        setattr(context, name, _then_route(context, getattr(context, name), route))
    route(context._session)  # the anonymous session its constructor already built
    _copies_keep_routes()


def _then_route(
    context: instaloader.InstaloaderContext,
    builds: Callable[..., Any],
    route: Callable[[requests.Session], requests.Session],
) -> Callable[..., Any]:
    def routed(*args: Any, **kwargs: Any) -> Any:
        result = builds(*args, **kwargs)
        route(context._session)
        return result

    return routed


_copy_lock = threading.Lock()


def _copies_keep_routes() -> None:
    """instaloader's copy_session makes a bare requests.Session from a session's cookies and
    headers: wrapped once, so that a copy also gets fresh adapters like the session's own
    (transport.copy_routes). A copy of a session nobody routed stays exactly as instaloader
    makes it, so this changes nothing for any other user of instaloader."""
    import instaloader.instaloadercontext as context_module

    from platforms.transport import copy_routes

    with _copy_lock:
        bare = context_module.copy_session
        if getattr(bare, "keeps_routes", False):
            return

        def copy_session(
            session: requests.Session, request_timeout: float | None = None
        ) -> requests.Session:
            return copy_routes(session, bare(session, request_timeout))

        copy_session.keeps_routes = True  # type: ignore[attr-defined]
        context_module.copy_session = copy_session


def _rate_controller(context: Any, clock: Clock) -> Any:
    """instaloader's own RateController, its budget kept on the injected clock.

    instaloader 4.16 (instaloadercontext.RateController.query_waittime): at most 200 queries
    of one kind per 11 minutes (75 for "other"), and 275 GraphQL queries of all kinds per
    10 minutes; storydesk asks the same function, so it never exceeds instaloader's budget.
    A 429 is not waited out here: it goes up to the one retrier (config/retry.py)."""
    import instaloader
    from instaloader.exceptions import TooManyRequestsException

    class Paced(instaloader.RateController):
        def sleep(self, secs: float) -> None:
            clock.sleep(secs)

        def wait_before_query(self, query_type: str) -> None:
            wait = self.query_waittime(query_type, clock.now().timestamp(), False)
            if wait > 0:
                self.sleep(wait)
            self._query_timestamps.setdefault(query_type, []).append(clock.now().timestamp())

        def handle_429(self, query_type: str) -> None:
            raise TooManyRequestsException("429 Too Many Requests: Please wait a few minutes")

    return Paced(context)


def _collectors(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock
) -> list[Collector]:
    settings = loaded.settings
    ig: InstagramHarvest = settings.platforms.instagram
    if ig.collector == "graph":
        from harvester.instagram_graph import GraphHashtagCollector

        return [
            GraphHashtagCollector.build(loaded, tag, clock) for tag in settings.campaign.hashtags
        ]
    from harvester.instagram import InstagramCollector

    loader = instaloader_client(loaded, clock)
    return [InstagramCollector(loader, ig, tag, clock) for tag in settings.campaign.hashtags]


def _target(loaded: LoadedCampaign, clock: Clock) -> PublishTarget:
    from publisher.instagram import InstagramTarget

    ig: InstagramPublish = loaded.settings.publish.instagram
    token = require_env(ig.access_token_env, "publish.instagram.access_token_env", loaded.settings)
    return InstagramTarget(
        http.session(token=token, settings=ig, section="publish.instagram"), ig, clock
    )


def _source_check(sessions: sessionmaker[Session], loaded: LoadedCampaign, clock: Clock) -> Any:
    ig: InstagramHarvest = loaded.settings.platforms.instagram

    def by_id(summary: ComplianceSummary) -> None:
        from compliance.instagram import instaloader_lookup, sweep_instagram

        sweep_instagram(sessions, loaded, clock, summary, instaloader_lookup(loaded, clock))

    def graph_only(summary: ComplianceSummary) -> None:
        # Graph hashtag search shows only the last 24 hours: absence proves nothing.
        summary.notes.append(
            "instagram: the graph collector cannot tell deleted posts from old ones; "
            "only data minimisation applies"
        )

    return by_id if ig.collector == "instaloader" else graph_only


PLATFORM = Platform(
    name="instagram",
    label="Instagram",
    capabilities={"harvest": True, "publish": True, "delete": True, "reply": False},
    harvest_settings=InstagramHarvest,
    publish_settings=InstagramPublish,
    collectors=_collectors,
    target=_target,
    source_check=_source_check,
    classify=graph.classify,
    consent_field="instagram_handle",
    id_shape=re.compile(r"^[0-9]{1,30}(?:_[0-9]{1,30})?$"),
)
