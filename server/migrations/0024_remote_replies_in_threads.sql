-- Replies from other servers to our posts (server/projections/posts.py): the remote object
-- (`remote_objects`, by its key) in the thread of the post it answers. They count in the
-- post's `replies_count` while they stand; a deleted one stays, as a tombstone, in its thread.
CREATE TABLE post_remote_replies (
    object_key    text PRIMARY KEY,
    post_id       uuid NOT NULL,
    thread_id     uuid NOT NULL,
    community_id  uuid,
    deleted       boolean NOT NULL DEFAULT false,
    position      bigint NOT NULL
);
CREATE INDEX post_remote_replies_thread ON post_remote_replies (thread_id, position);
