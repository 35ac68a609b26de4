-- The event log: the only table a command writes. Everything else is derived from it.
CREATE TABLE events (
    -- Global order. Dense in commit order: see events_commit_order_lock below.
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid NOT NULL,
    stream_id       text NOT NULL CHECK (stream_id <> ''),
    stream_version  bigint NOT NULL CHECK (stream_version >= 1),
    type            text NOT NULL,
    schema_version  integer NOT NULL CHECK (schema_version >= 1),
    data            jsonb NOT NULL,
    actor           text,
    causation_id    uuid,
    correlation_id  uuid,
    -- clock_timestamp(), not now(): taken under the commit-order lock, so it rises with position.
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

-- Commit-safe order. Positions come from a sequence; two transactions that took positions
-- concurrently could commit in the other order, and a reader at `position > last` would pass
-- the lower position before it becomes visible and never see it. So every INSERT first takes
-- one transaction-scoped advisory lock, before any row (and so any position) is produced, and
-- holds it until the transaction ends. PostgreSQL makes a commit visible before it releases
-- the transaction's locks, so the next appender allocates positions only after every lower
-- position is visible (or rolled back, leaving a harmless hole). A reader can then never pass a
-- position that commits later. Group commit makes this one lock per batch, not per event.
CREATE FUNCTION events_commit_order_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7526763421983012403);  -- 'events' commit-order lock
    RETURN NULL;
END
$$;

CREATE TRIGGER events_commit_order BEFORE INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_commit_order_lock();

-- Wake subscribers at commit (NOTIFY is transactional). A hint only: they always re-read the log.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('learnwork_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_appended AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- Events are immutable: a schema change adds a version and an upcaster, never an UPDATE.
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % is not allowed on the event log', TG_OP;
END
$$;

CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();
