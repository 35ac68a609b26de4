-- Read model of the search projection: one document per member, community, post, artefact and
-- published path, with a full-text vector PostgreSQL keeps from its text, stemmed as English
-- ("queries" finds "query"; words of other languages are kept much as written). Weights rank a
-- match in the title (A) above one in the skills, handle or slug (B) above one in the text (D). Who may see a document is decided when searching, from the
-- other read models: its community's visibility, its author's status.
CREATE TABLE search_documents (
    kind         text NOT NULL,
    id           uuid NOT NULL,
    community_id uuid,
    author_id    uuid,
    title        text NOT NULL,
    keywords     text NOT NULL,
    body         text NOT NULL,
    listed       boolean NOT NULL,
    position     bigint NOT NULL,
    document     tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', keywords), 'B')
        || setweight(to_tsvector('english', body), 'D')
    ) STORED,
    PRIMARY KEY (kind, id)
);
CREATE INDEX search_documents_match ON search_documents USING gin (document);
