-- Where each projection (read model) is in the event log. A projection's effects and its
-- checkpoint are written in one transaction, so a crash never applies an event twice or skips
-- one. A projection that fails on an event stops there and records which event and why.
CREATE TABLE projection_checkpoints (
    name            text PRIMARY KEY,
    position        bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    failed_position bigint,
    error           text
);
