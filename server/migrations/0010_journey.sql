-- Read model of the journey projection: each member's milestones — joined Learnwork, founded or
-- joined a community, completed a path, published an artefact, was endorsed for a skill — one
-- row per event, in log order. A milestone that is undone (the artefact deleted, the
-- endorsement withdrawn) is removed. Titles and visibility come from the other read models
-- when read, so a renamed path or a community turned members-only shows as it is now.
CREATE TABLE journey_milestones (
    member_id      uuid NOT NULL,
    position       bigint NOT NULL,
    kind           text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    community_id   uuid,
    path_id        uuid,
    artefact_id    uuid,
    endorsement_id text,
    endorser_id    uuid,
    skill          text,
    PRIMARY KEY (member_id, position)
);
CREATE INDEX journey_by_artefact ON journey_milestones (artefact_id)
    WHERE artefact_id IS NOT NULL;
CREATE INDEX journey_by_endorsement ON journey_milestones (endorsement_id)
    WHERE endorsement_id IS NOT NULL;
