-- Read model of the endorsements projection: the endorsements that are active now (a withdrawn
-- one's row is removed; the log keeps its history). `id` is the endorsement's key.
CREATE TABLE endorsements (
    id          text PRIMARY KEY,
    endorser_id uuid NOT NULL,
    kind        text NOT NULL,
    target_id   uuid NOT NULL,
    skill       text NOT NULL,
    comment     text NOT NULL,
    given_at    timestamptz NOT NULL,
    position    bigint NOT NULL
);
CREATE INDEX endorsements_target ON endorsements (kind, target_id, position);
CREATE INDEX endorsements_endorser ON endorsements (endorser_id, position);
