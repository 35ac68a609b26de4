-- Remote actors following ours (server/projections/remote_followers.py): one row per follow
-- that stands or waits; an undone one is removed.
CREATE TABLE remote_followers (
    follow_key    text PRIMARY KEY,
    target_kind   text NOT NULL,
    target_id     uuid NOT NULL,
    follower      text NOT NULL,
    inbox         text NOT NULL,
    shared_inbox  text,
    follow_id     text NOT NULL,
    status        text NOT NULL,
    since         timestamptz NOT NULL
);
CREATE INDEX remote_followers_of ON remote_followers (target_id, status);
