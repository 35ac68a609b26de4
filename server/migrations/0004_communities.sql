-- Read models of the communities projection: communities, their members and roles, pending
-- requests, invitations, bans and the knowledge library.
CREATE TABLE communities (
    id              uuid PRIMARY KEY,
    slug            text NOT NULL UNIQUE,
    name            text NOT NULL,
    description     text NOT NULL,
    skills          text[] NOT NULL,
    visibility      text NOT NULL,
    join_policy     text NOT NULL,
    created_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    position        bigint NOT NULL,
    members_count   integer NOT NULL DEFAULT 0,
    resources_count integer NOT NULL DEFAULT 0
);
CREATE INDEX communities_position ON communities (position);

CREATE TABLE community_members (
    community_id uuid NOT NULL,
    member_id    uuid NOT NULL,
    role         text NOT NULL,
    since        timestamptz NOT NULL,
    position     bigint NOT NULL,
    PRIMARY KEY (community_id, member_id)
);
CREATE INDEX community_members_list ON community_members (community_id, position);
CREATE INDEX community_members_member ON community_members (member_id, position);

CREATE TABLE community_requests (
    community_id uuid NOT NULL,
    member_id    uuid NOT NULL,
    message      text NOT NULL,
    requested_at timestamptz NOT NULL,
    position     bigint NOT NULL,
    PRIMARY KEY (community_id, member_id)
);
CREATE INDEX community_requests_list ON community_requests (community_id, position);

CREATE TABLE community_invitations (
    community_id uuid NOT NULL,
    member_id    uuid NOT NULL,
    invited_by   uuid NOT NULL,
    invited_at   timestamptz NOT NULL,
    position     bigint NOT NULL,
    PRIMARY KEY (community_id, member_id)
);
CREATE INDEX community_invitations_member ON community_invitations (member_id, position);

CREATE TABLE community_bans (
    community_id uuid NOT NULL,
    member_id    uuid NOT NULL,
    banned_by    uuid NOT NULL,
    reason       text NOT NULL,
    banned_at    timestamptz NOT NULL,
    position     bigint NOT NULL,
    PRIMARY KEY (community_id, member_id)
);
CREATE INDEX community_bans_list ON community_bans (community_id, position);

CREATE TABLE community_resources (
    resource_id  uuid PRIMARY KEY,
    community_id uuid NOT NULL,
    url          text NOT NULL,
    title        text NOT NULL,
    note         text NOT NULL,
    skills       text[] NOT NULL,
    added_by     uuid NOT NULL,
    added_at     timestamptz NOT NULL,
    position     bigint NOT NULL
);
CREATE INDEX community_resources_list ON community_resources (community_id, position);
