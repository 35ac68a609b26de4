-- Read models of the members projection: profiles, follows, and access tokens (for listing and
-- revoking them; authentication itself reads the token's stream, never this table).
CREATE TABLE members (
    id              uuid PRIMARY KEY,
    handle          text NOT NULL UNIQUE,
    display_name    text NOT NULL,
    headline        text NOT NULL DEFAULT '',
    bio             text NOT NULL DEFAULT '',
    skills          text[] NOT NULL DEFAULT '{}',
    links           text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL,
    admin           boolean NOT NULL DEFAULT false,
    reason          text,
    registered_at   timestamptz NOT NULL,
    position        bigint NOT NULL,
    followers_count integer NOT NULL DEFAULT 0,
    following_count integer NOT NULL DEFAULT 0
);
CREATE INDEX members_status_position ON members (status, position);

CREATE TABLE member_follows (
    follower uuid NOT NULL,
    followee uuid NOT NULL,
    since    timestamptz NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (follower, followee)
);
CREATE INDEX member_follows_followee ON member_follows (followee, position);
CREATE INDEX member_follows_follower ON member_follows (follower, position);

CREATE TABLE access_tokens (
    token_id   uuid PRIMARY KEY,
    digest     text NOT NULL UNIQUE,
    member_id  uuid NOT NULL,
    client_id  uuid,
    name       text,
    scopes     text[] NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    position   bigint NOT NULL
);
CREATE INDEX access_tokens_member ON access_tokens (member_id, position);
