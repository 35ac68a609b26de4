-- What our members know of other servers (server/projections/remote_*.py).

-- Remote actors, as their documents last described them.
CREATE TABLE remote_actors (
    actor_key     text PRIMARY KEY,
    actor_id      text NOT NULL UNIQUE,
    kind          text NOT NULL,
    username      text NOT NULL,
    host          text NOT NULL,
    name          text NOT NULL,
    summary       text NOT NULL,
    url           text,
    icon          text,
    inbox         text NOT NULL,
    shared_inbox  text,
    described_at  timestamptz NOT NULL
);
CREATE INDEX remote_actors_by_name ON remote_actors (lower(username), host);

-- Our members' follows of remote actors; an undone or rejected one is removed.
CREATE TABLE remote_following (
    following_key  text PRIMARY KEY,
    member_id      uuid NOT NULL,
    actor_id       text NOT NULL,
    follow_id      text NOT NULL,
    status         text NOT NULL,
    since          timestamptz NOT NULL
);
CREATE INDEX remote_following_by_member ON remote_following (member_id, status);
CREATE INDEX remote_following_by_actor ON remote_following (actor_id, status);

-- Remote objects that concern us. `id` is the key as a UUID: how our API names them.
CREATE TABLE remote_objects (
    object_key     text PRIMARY KEY,
    id             uuid NOT NULL UNIQUE,
    object_id      text NOT NULL UNIQUE,
    author         text NOT NULL,
    type           text NOT NULL,
    learnwork_kind text NOT NULL,
    name           text NOT NULL,
    summary        text NOT NULL,
    content        text NOT NULL,
    url            text,
    skills         text[] NOT NULL,
    steps          jsonb NOT NULL,
    revision       integer,
    in_reply_to    text,
    audience       text,
    public         boolean NOT NULL,
    published      timestamptz NOT NULL,
    updated        timestamptz,
    deleted        boolean NOT NULL DEFAULT false,
    likes_count    integer NOT NULL DEFAULT 0,
    position       bigint NOT NULL
);
CREATE INDEX remote_objects_by_author ON remote_objects (author, position);
CREATE INDEX remote_objects_by_audience ON remote_objects (audience, position)
    WHERE audience IS NOT NULL;
CREATE INDEX remote_objects_by_parent ON remote_objects (in_reply_to)
    WHERE in_reply_to IS NOT NULL;

-- Who shared (announced) a remote object, and when.
CREATE TABLE remote_object_sharers (
    object_key  text NOT NULL,
    actor_id    text NOT NULL,
    position    bigint NOT NULL,
    PRIMARY KEY (object_key, actor_id)
);
CREATE INDEX remote_object_sharers_by_actor ON remote_object_sharers (actor_id, position);

-- Our members' likes of remote objects.
CREATE TABLE remote_object_likes (
    object_key  text NOT NULL,
    member_id   uuid NOT NULL,
    like_id     text NOT NULL,
    PRIMARY KEY (object_key, member_id)
);
