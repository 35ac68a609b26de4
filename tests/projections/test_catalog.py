"""Every read-model table belongs to exactly one projection: a rebuild makes a projection's
tables anew, so none may be shared and none forgotten."""

from __future__ import annotations

from server.projections.catalog import all_projections

NOT_READ_MODELS = {
    "events",
    "projection_checkpoints",
    "schema_migrations",
    # The webhook delivery worker's queue, its log of attempts and its checkpoint: what was
    # sent cannot be derived from the log.
    "webhook_deliveries",
    "webhook_attempts",
    "webhook_enqueuer",
    # Federation's delivery queue, the hosts failing now, and the outbox's checkpoint: the
    # same kind of state for deliveries to other servers.
    "federation_activities",
    "federation_deliveries",
    "federation_hosts",
    "federation_outbox",
}


async def test_the_projections_own_every_read_model_table_once(db) -> None:
    tables = {
        r[0]
        for r in await db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    }
    owned = [table for projection in all_projections() for table in projection.tables]
    assert len(owned) == len(set(owned)), "a table is owned by two projections"
    assert set(owned) == tables - NOT_READ_MODELS
