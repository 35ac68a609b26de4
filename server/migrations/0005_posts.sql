-- Read models of the posts projection: posts and replies (a deleted or removed post stays as a
-- tombstone, its body and html emptied, so its thread keeps its shape) and their likes.
CREATE TABLE posts (
    id            uuid PRIMARY KEY,
    author_id     uuid NOT NULL,
    community_id  uuid,
    in_reply_to   uuid,
    thread_id     uuid NOT NULL,
    body          text NOT NULL,
    format        text NOT NULL,
    html          text NOT NULL,
    status        text NOT NULL,
    published_at  timestamptz NOT NULL,
    edited_at     timestamptz,
    position      bigint NOT NULL,
    likes_count   integer NOT NULL DEFAULT 0,
    replies_count integer NOT NULL DEFAULT 0
);
CREATE INDEX posts_thread ON posts (thread_id, position);
CREATE INDEX posts_community ON posts (community_id, position)
    WHERE in_reply_to IS NULL AND status = 'published';
CREATE INDEX posts_author ON posts (author_id, position) WHERE status = 'published';

CREATE TABLE post_likes (
    post_id   uuid NOT NULL,
    member_id uuid NOT NULL,
    liked_at  timestamptz NOT NULL,
    position  bigint NOT NULL,
    PRIMARY KEY (post_id, member_id)
);
CREATE INDEX post_likes_list ON post_likes (post_id, position);
