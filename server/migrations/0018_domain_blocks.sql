-- Remote domains admins keep out of federation (server/projections/domain_blocks.py).
CREATE TABLE domain_blocks (
    domain      text PRIMARY KEY,
    reason      text NOT NULL,
    blocked_by  uuid NOT NULL,
    blocked_at  timestamptz NOT NULL,
    position    bigint NOT NULL
);
