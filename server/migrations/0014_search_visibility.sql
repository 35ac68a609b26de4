-- Search decides visibility from its own rows: whether the document's author is active (not
-- pending, rejected or suspended) and whether it lives in a members-only community, kept by
-- the search projection from the members' and communities' events (search_communities holds
-- each community's visibility for documents created in it later). A search then checks no
-- other table per match, and ranks only the most recent matches (see
-- server/projections/search.py). The search read model is rebuilt from the log to fill them.
TRUNCATE search_documents;
DELETE FROM projection_checkpoints WHERE name = 'search';
ALTER TABLE search_documents
    ADD COLUMN author_active boolean NOT NULL,
    ADD COLUMN members_only  boolean NOT NULL;
CREATE INDEX search_documents_recent ON search_documents (position);
CREATE TABLE search_communities (
    id           uuid PRIMARY KEY,
    members_only boolean NOT NULL
);
