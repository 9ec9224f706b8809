-- Where an evidence file's bytes are: db (in the row's data, as before) or objects (in the
-- configured object store under evidence/SHA256, the row's data empty). Existing rows keep
-- their bytes in the row
ALTER TABLE evidence_files ADD COLUMN stored TEXT NOT NULL DEFAULT 'db'
