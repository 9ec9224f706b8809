-- The enterprise search tokens (qcity_domain::search), kept on every write. Existing rows are
-- filled in at start-up, where the search index of each database is made too.
ALTER TABLE enterprises ADD COLUMN search_text TEXT NOT NULL DEFAULT ''
