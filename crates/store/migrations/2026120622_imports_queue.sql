-- Registry files handed to the import queue: a page or the API stores the upload in the
-- upload directory and queues it here, a worker claims it (state queued, then running), reads
-- it and records what it did (state done or failed, the outcome as JSON). The account that
-- queued it is kept so the import runs under its rights and only it and the office see it.
-- The file lies on the server that received it (node), and only that server runs the job.
CREATE TABLE import_jobs (
    id {ID},
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    node TEXT NOT NULL,
    file_path TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    business_date TEXT NOT NULL,
    user_id BIGINT,
    username TEXT NOT NULL,
    role TEXT,
    unit_id BIGINT,
    ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    rows_done BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    heartbeat_at TEXT,
    finished_at TEXT,
    outcome TEXT
);
CREATE INDEX import_jobs_state ON import_jobs (node, state, id);
CREATE INDEX import_jobs_user ON import_jobs (user_id, id)
