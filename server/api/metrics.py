"""`GET /metrics`: the instance's figures in the Prometheus text format, for a scraper.

Made fresh for every scrape from what the database says (so any process answers for all of
them), plus this process's own group-commit counters. Only figures, never error texts: an
operator reads those with `learnwork projections status`. With LEARNWORK_METRICS_TOKEN set, a
scraper must send it as a bearer token.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from server.api.keys import OPTIONS, RUNNER, STORE
from server.events.group_commit import Stats
from server.problems import problem
from server.projections.runner import ProjectionStatus

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.StreamResponse:
    token = request.app[OPTIONS].metrics_token
    if token is not None and not _bearer_is(request, token):
        return problem(
            401,
            "Unauthorized",
            "send the metrics token as `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    store = request.app[STORE]
    statuses = await request.app[RUNNER].status()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(statuses, await store.last_position(), store.committer.stats))
    body = generate_latest(registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _bearer_is(request: web.Request, token: str) -> bool:
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


class _Figures(Collector):
    """One scrape's figures, already read."""

    def __init__(self, statuses: Sequence[ProjectionStatus], head: int, appends: Stats) -> None:
        self._statuses = statuses
        self._head = head
        self._appends = appends

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "learnwork_event_log_position", "Position of the last event in the log.", self._head
        )
        gauges = {
            "position": ("Last position the projection recorded.", lambda s: s.position),
            "lag_events": (
                "Events of the types the projection reads that it has not applied yet.",
                lambda s: s.lag,
            ),
            "lag_seconds": (
                "Age of the oldest event the projection has not applied yet (0 when none).",
                lambda s: s.lag_seconds,
            ),
            "running": (
                "1 when a process applies the projection (holds its lock), else 0.",
                lambda s: int(s.running),
            ),
            "stopped": (
                "1 when the projection stopped on an event it could not apply, else 0.",
                lambda s: int(s.failed_position is not None),
            ),
        }
        for name, (documentation, value) in gauges.items():
            family = GaugeMetricFamily(
                f"learnwork_projection_{name}", documentation, labels=["projection"]
            )
            for status in self._statuses:
                family.add_metric([status.name], value(status))
            yield family
        counters = {
            "events": ("Events this process appended to the log.", self._appends.events),
            "batches": ("Group commits this process wrote.", self._appends.batches),
            "retries": (
                "Group commits this process wrote again (a race or a lost connection).",
                self._appends.retries,
            ),
        }
        for name, (documentation, value) in counters.items():
            yield CounterMetricFamily(f"learnwork_appended_{name}", documentation, value)
