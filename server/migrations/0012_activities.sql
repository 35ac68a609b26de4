-- Read model of the activities projection, behind the home and community feeds: one row per
-- thing worth seeing — a post, an artefact, a path published, a path completed, a member's
-- skill endorsed — with who did it and the community it happened in. Feeds are read from
-- here (fan-out on read: docs/feeds.md says why); what is undone (a post deleted, an
-- endorsement withdrawn) is removed.
CREATE TABLE activities (
    position       bigint PRIMARY KEY,
    kind           text NOT NULL,
    at             timestamptz NOT NULL,
    actor_id       uuid NOT NULL,
    community_id   uuid,
    post_id        uuid,
    artefact_id    uuid,
    path_id        uuid,
    endorsement_id text,
    target_id      uuid,
    skill          text
);
CREATE INDEX activities_by_actor ON activities (actor_id, position);
CREATE INDEX activities_by_community ON activities (community_id, position)
    WHERE community_id IS NOT NULL;
CREATE INDEX activities_by_post ON activities (post_id) WHERE post_id IS NOT NULL;
CREATE INDEX activities_by_artefact ON activities (artefact_id) WHERE artefact_id IS NOT NULL;
CREATE INDEX activities_by_endorsement ON activities (endorsement_id)
    WHERE endorsement_id IS NOT NULL;

-- Each path's community, from its creation: the events of publishing and completing a path do
-- not repeat it.
CREATE TABLE activity_paths (
    path_id      uuid PRIMARY KEY,
    community_id uuid NOT NULL
);
