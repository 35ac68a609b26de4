-- Likes of our posts by actors on other servers (server/projections/posts.py): they count in
-- `posts.likes_count` with our members' likes. `like_id` names the `Like` an `Undo` takes back.
CREATE TABLE post_remote_likes (
    post_id   uuid NOT NULL,
    actor_id  text NOT NULL,
    like_id   text NOT NULL,
    liked_at  timestamptz NOT NULL,
    position  bigint NOT NULL,
    PRIMARY KEY (post_id, actor_id)
);
CREATE INDEX post_remote_likes_by_like ON post_remote_likes (like_id);
