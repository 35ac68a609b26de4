-- Read model of the webhooks projection: each endpoint as its webhook.* events leave it (a
-- deleted one's row is removed; the log keeps its history). An endpoint gets the events after
-- `since_position`: its registration, or the last time it was enabled again.
CREATE TABLE webhook_endpoints (
    id                  uuid PRIMARY KEY,
    token_id            uuid NOT NULL,
    member_id           uuid NOT NULL,
    url                 text NOT NULL,
    types               text[] NOT NULL,
    community           uuid,
    member              uuid,
    path                uuid,
    description         text NOT NULL,
    secret_salt         text NOT NULL,
    previous_salt       text,
    rotated_at          timestamptz,
    enabled             boolean NOT NULL DEFAULT true,
    disabled_reason     text,
    disabled_at         timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    registered_position bigint NOT NULL,
    since_position      bigint NOT NULL
);
CREATE INDEX webhook_endpoints_token ON webhook_endpoints (token_id, registered_position);

-- The delivery worker's durable queue (operational state, not a read model: it records what
-- was sent, which the log cannot know). One row per event and endpoint, made by the enqueuer
-- in the same transaction as its checkpoint; UNIQUE (endpoint_id, position) makes enqueueing
-- the same page again a no-op. `id` is the Standard Webhooks message id: the same on every
-- attempt. A sender claims due rows by pushing `next_attempt_at` past its lease; `lease`
-- names the claim, so an outcome recorded after the lease passed to another is dropped.
CREATE TABLE webhook_deliveries (
    id              text PRIMARY KEY,
    endpoint_id     uuid NOT NULL,
    position        bigint NOT NULL,
    event_type      text NOT NULL,
    body            bytea NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    retry_until     timestamptz NOT NULL,
    lease           uuid,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (endpoint_id, position)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries (endpoint_id, status, position);

-- The delivery log: every attempt, with what came back.
CREATE TABLE webhook_attempts (
    delivery_id  text NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    number       integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    status       integer,
    error        text,
    duration_ms  integer NOT NULL,
    response     text,
    PRIMARY KEY (delivery_id, number)
);

-- How far the enqueuer has read the log. It starts at the log's end: no endpoint can exist
-- before this migration.
CREATE TABLE webhook_enqueuer (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    position bigint NOT NULL
);
INSERT INTO webhook_enqueuer (position) SELECT coalesce(max(position), 0) FROM events;
