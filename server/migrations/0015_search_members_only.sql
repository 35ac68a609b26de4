-- The few documents in members-only communities, by community, newest first: a search reads
-- those of the reader's communities apart from the public ones, which every reader shares
-- (server/projections/search_cache.py).
CREATE INDEX search_documents_members_only ON search_documents (community_id, position)
    WHERE members_only;
