"""GET /metrics: projection lag and append counters in the Prometheus text format."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.config import Settings
from server.projections.catalog import all_projections
from tests.api.conftest import register


def samples(text: str) -> dict[tuple[str, str], float]:
    """(sample name, projection label or "") → value."""
    return {
        (s.name, s.labels.get("projection", "")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_show_each_projection_caught_up_and_what_was_appended(client, db) -> None:
    ada = await register(client, "ada")
    await ada.expect("POST", "/api/v1/posts", 201, json={"body": "hello"})
    await ada.expect("GET", "/api/v1/members/ada", 200)  # waits for the read models

    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    figures = samples(await response.text())
    assert figures[("learnwork_event_log_position", "")] == ada.position
    for name in (p.name for p in all_projections()):
        assert figures[("learnwork_projection_lag_events", name)] == 0
        assert figures[("learnwork_projection_lag_seconds", name)] == 0
        assert figures[("learnwork_projection_running", name)] == 1
        assert figures[("learnwork_projection_stopped", name)] == 0
    assert figures[("learnwork_projection_position", "posts")] == ada.position
    assert figures[("learnwork_appended_events_total", "")] >= 2
    assert figures[("learnwork_appended_batches_total", "")] >= 2

    await db.execute(
        "UPDATE projection_checkpoints SET failed_position = 1, error = 'secret detail'"
        " WHERE name = 'posts'"
    )
    text = await (await client.get("/metrics")).text()
    assert samples(text)[("learnwork_projection_stopped", "posts")] == 1
    assert "secret detail" not in text


class TestWithAToken:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(metrics_token="scrape-me")

    async def test_metrics_need_the_token(self, client) -> None:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me"}):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status == 401
            assert refused.content_type == "application/problem+json"
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        allowed = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert allowed.status == 200
        assert ("learnwork_event_log_position", "") in samples(await allowed.text())
