-- An issued bulletin is never deleted: a correction (更正) supersedes it and a revocation
-- (撤销) withdraws it, each with the office's reason. `replaced_by` names the correction.
ALTER TABLE bulletins ADD COLUMN reason TEXT;
ALTER TABLE bulletins ADD COLUMN replaced_by BIGINT
