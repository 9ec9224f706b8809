-- One counter row per account name (`user:<name>`, known or not) and per source address
-- (`ip:<address>`): sign-in attempts are claimed and counted here, in one statement each.
CREATE TABLE sign_in_guard (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL DEFAULT 0,
    window_start TEXT NOT NULL,
    pending BIGINT NOT NULL DEFAULT 0,
    last_at TEXT NOT NULL,
    blocked_until TEXT
);
CREATE INDEX sign_in_guard_last_at ON sign_in_guard(last_at);
-- users.failed_logins and users.locked_until are no longer read or written. They stay so that
-- backups made before this migration (whose user rows carry them) still restore.
DROP TABLE login_failures;
