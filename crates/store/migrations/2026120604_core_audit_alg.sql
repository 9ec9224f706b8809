-- Each audit record names how its hash was computed: `sha256` (plain, the records written
-- before the chain was keyed), `hmac-sha256` or `hmac-sm3` (keyed with the audit key kept
-- outside the database). Existing records are plain SHA-256.
ALTER TABLE audit_log ADD COLUMN alg TEXT NOT NULL DEFAULT 'sha256'
