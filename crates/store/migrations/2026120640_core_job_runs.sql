-- Scheduled work claimed across processes. Every app server on one database ticks, but a job
-- runs for a slot (its business date and hour) only in the process whose row went in first,
-- the primary key refusing every other. The row then says who ran it, when, and what it did.
CREATE TABLE job_runs (
    job TEXT NOT NULL,
    slot TEXT NOT NULL,
    node TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    PRIMARY KEY (job, slot)
);
CREATE INDEX job_runs_started ON job_runs (started_at)
