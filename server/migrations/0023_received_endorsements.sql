-- Endorsements of our members' skills by actors on other servers that stand now
-- (server/projections/endorsements.py); `id` is the stream's key, `endorse_id` the `Endorse`'s.
CREATE TABLE received_endorsements (
    id          text PRIMARY KEY,
    actor_id    text NOT NULL,
    member_id   uuid NOT NULL,
    skill       text NOT NULL,
    comment     text NOT NULL,
    endorse_id  text NOT NULL,
    given_at    timestamptz NOT NULL,
    position    bigint NOT NULL
);
CREATE INDEX received_endorsements_member ON received_endorsements (member_id, position);
CREATE INDEX received_endorsements_endorse ON received_endorsements (endorse_id);
