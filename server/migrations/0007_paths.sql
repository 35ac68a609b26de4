-- Read models of the paths projection: learning paths, their steps in order, enrollments and the
-- steps each learner completed. Progress is not stored: it is counted when read, as the
-- completed steps that are among the path's current steps (docs/paths.md), so adding, removing
-- or reordering steps never leaves a stale figure behind.
CREATE TABLE paths (
    id           uuid PRIMARY KEY,
    community_id uuid NOT NULL,
    creator_id   uuid NOT NULL,
    title        text NOT NULL,
    summary      text NOT NULL,
    skills       text[] NOT NULL,
    status       text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    published_at timestamptz,
    archived_at  timestamptz,
    position     bigint NOT NULL
);
CREATE INDEX paths_community ON paths (community_id, position);

CREATE TABLE path_steps (
    path_id           uuid NOT NULL,
    step_id           uuid NOT NULL,
    ordinal           integer NOT NULL,
    kind              text NOT NULL,
    title             text NOT NULL,
    url               text,
    ref_id            uuid,
    text              text NOT NULL,
    estimated_minutes integer,
    PRIMARY KEY (path_id, step_id)
);
CREATE INDEX path_steps_order ON path_steps (path_id, ordinal);

CREATE TABLE enrollments (
    path_id           uuid NOT NULL,
    member_id         uuid NOT NULL,
    status            text NOT NULL,
    enrolled_at       timestamptz NOT NULL,
    left_at           timestamptz,
    path_completed_at timestamptz,
    position          bigint NOT NULL,
    PRIMARY KEY (path_id, member_id)
);
CREATE INDEX enrollments_member ON enrollments (member_id, position);

-- Every step ever completed in an enrollment, including steps the path has since lost (they
-- are left out when read: only the path's current steps count).
CREATE TABLE enrollment_steps (
    path_id              uuid NOT NULL,
    member_id            uuid NOT NULL,
    step_id              uuid NOT NULL,
    completed_at         timestamptz NOT NULL,
    evidence_artefact_id uuid,
    reflection           text NOT NULL,
    PRIMARY KEY (path_id, member_id, step_id)
);
