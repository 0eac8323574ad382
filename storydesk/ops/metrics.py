"""Prometheus metrics from the daemon (`storydesk daemon --metrics-port N`).

Every figure is read from the database when Prometheus scrapes, not counted in this
process: several daemons sharing one PostgreSQL all report the same, true figures, and a
restart loses nothing. Served on 127.0.0.1 unless told otherwise (the figures name no
person, but nothing here needs to be reachable from elsewhere by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.schema import LoadedCampaign
from db.models import HarvestRun, Publication, Testimony


class StorydeskCollector(Collector):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        loaded: LoadedCampaign,
        now: Callable[[], datetime],
    ) -> None:
        self.sessions, self.loaded, self.now = sessions, loaded, now

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "storydesk_database_up", "1 when the last scrape could read the database."
        )
        try:
            with self.sessions() as session:
                families = list(self._families(session))
        except Exception:  # noqa: BLE001 - a scrape must answer; the outage is the figure
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, session: Session) -> Iterator[Metric]:
        from db.quota import used as quota_used
        from storydesk.ops.status import build_status

        campaign = self.loaded.id
        platforms = self.loaded.settings.enabled_platforms()
        runs = {
            platform: (new, requests, quota)
            for platform, new, requests, quota in session.execute(
                select(
                    HarvestRun.platform,
                    func.coalesce(func.sum(HarvestRun.new_count), 0),
                    func.coalesce(func.sum(HarvestRun.requests), 0),
                    func.coalesce(func.sum(HarvestRun.quota_units), 0),
                )
                .where(HarvestRun.campaign_id == campaign)
                .group_by(HarvestRun.platform)
            )
        }
        harvested = CounterMetricFamily(
            "storydesk_posts_harvested", "New posts stored by harvests.", labels=["platform"]
        )
        requests = CounterMetricFamily(
            "storydesk_platform_requests", "Requests made by harvests.", labels=["platform"]
        )
        units = CounterMetricFamily(
            "storydesk_quota_units", "Quota units spent by harvests.", labels=["platform"]
        )
        for platform in sorted(set(platforms) | set(runs)):
            new, asked, quota = runs.get(platform, (0, 0, 0))
            harvested.add_metric([platform], int(new))
            requests.add_metric([platform], int(asked))
            units.add_metric([platform], int(quota))
        yield from (harvested, requests, units)

        today = GaugeMetricFamily(
            "storydesk_quota_used_today",
            "Quota units used in the platform's current quota day.",
            labels=["platform"],
        )
        credential = self.loaded.settings.quota_credential("youtube")
        today.add_metric(["youtube"], quota_used(session, "youtube", credential, self.now()))
        yield today

        queue = GaugeMetricFamily(
            "storydesk_queue_testimonies",
            "Testimonies by review state and consent state.",
            labels=["review", "consent"],
        )
        for review, consent, count in session.execute(
            select(Testimony.review_state, Testimony.consent_state, func.count())
            .where(Testimony.campaign_id == campaign)
            .group_by(Testimony.review_state, Testimony.consent_state)
        ):
            queue.add_metric([review, consent], count)
        yield queue

        publications = GaugeMetricFamily(
            "storydesk_publications",
            "Publications by target and state.",
            labels=["target", "state"],
        )
        for target, state, count in session.execute(
            select(Publication.target, Publication.state, func.count())
            .join(Testimony, Testimony.id == Publication.testimony_id)
            .where(Testimony.campaign_id == campaign)
            .group_by(Publication.target, Publication.state)
        ):
            publications.add_metric([target, state], count)
        yield publications

        report: dict[str, Any] = build_status(session, self.loaded, self.now())
        alarms = GaugeMetricFamily(
            "storydesk_alarms",
            "Alarms standing, by kind (see `storydesk status`).",
            labels=["kind"],
        )
        counts: dict[str, int] = {}
        for alarm in report["alarms"]:
            counts[alarm["kind"]] = counts.get(alarm["kind"], 0) + 1
        for kind, count in sorted(counts.items()):
            alarms.add_metric([kind], count)
        yield alarms
        pending = GaugeMetricFamily(
            "storydesk_takedowns_pending", "Takedowns asked for and not yet done."
        )
        pending.add_metric([], report["publications"]["takedowns_pending"])
        yield pending


def serve_metrics(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    now: Callable[[], datetime],
    port: int,
    host: str = "127.0.0.1",
) -> Any:
    """Serve /metrics in a background thread; the server (call .shutdown() to stop)."""
    registry = CollectorRegistry()
    registry.register(StorydeskCollector(sessions, loaded, now))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
