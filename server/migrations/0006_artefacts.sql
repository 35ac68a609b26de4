-- Read models of the artefacts projection: each live artefact with its current revision, and
-- every revision of it. A deleted artefact's rows are removed (the log keeps its history).
CREATE TABLE artefacts (
    id           uuid PRIMARY KEY,
    author_id    uuid NOT NULL,
    community_id uuid,
    revision     integer NOT NULL,
    title        text NOT NULL,
    summary      text NOT NULL,
    body         text NOT NULL,
    format       text NOT NULL,
    html         text NOT NULL,
    links        text[] NOT NULL,
    skills       text[] NOT NULL,
    created_at   timestamptz NOT NULL,
    revised_at   timestamptz NOT NULL,
    position     bigint NOT NULL
);
CREATE INDEX artefacts_author ON artefacts (author_id, position);
CREATE INDEX artefacts_community ON artefacts (community_id, position)
    WHERE community_id IS NOT NULL;

CREATE TABLE artefact_revisions (
    artefact_id uuid NOT NULL,
    revision    integer NOT NULL,
    title       text NOT NULL,
    summary     text NOT NULL,
    body        text NOT NULL,
    format      text NOT NULL,
    html        text NOT NULL,
    links       text[] NOT NULL,
    skills      text[] NOT NULL,
    revised_at  timestamptz NOT NULL,
    position    bigint NOT NULL,
    PRIMARY KEY (artefact_id, revision)
);
