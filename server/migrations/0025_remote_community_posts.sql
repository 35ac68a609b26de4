-- A remote object written in one of our communities by a remote member of it (its author
-- follows the community): the community's feed shows it.
ALTER TABLE remote_objects ADD COLUMN community_id uuid;
CREATE INDEX remote_objects_by_community ON remote_objects (community_id, position)
    WHERE community_id IS NOT NULL;
