-- Each district keeps its own enterprise register, credit files, blacklist, licences and
-- sampling records: owner_id is the district (org unit) whose register holds the row. Rows
-- stored before belong to the installation's home district (the owner of the first plan
-- version, else the first district, else 0 while no district exists).
ALTER TABLE enterprises ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE licences ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credit_events ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE blacklist ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sampling ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0;
UPDATE enterprises SET owner_id = COALESCE((SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1), (SELECT MIN(id) FROM org_units WHERE kind = 'district'), 0);
UPDATE licences SET owner_id = COALESCE((SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1), (SELECT MIN(id) FROM org_units WHERE kind = 'district'), 0);
UPDATE credit_events SET owner_id = COALESCE((SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1), (SELECT MIN(id) FROM org_units WHERE kind = 'district'), 0);
UPDATE blacklist SET owner_id = COALESCE((SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1), (SELECT MIN(id) FROM org_units WHERE kind = 'district'), 0);
UPDATE sampling SET owner_id = COALESCE((SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1), (SELECT MIN(id) FROM org_units WHERE kind = 'district'), 0);
-- Lists filter by district first: the district leads the indexes they read.
DROP INDEX enterprises_name;
CREATE INDEX enterprises_owner_name ON enterprises(owner_id, name);
DROP INDEX licences_expires;
CREATE INDEX licences_owner_expires ON licences(owner_id, expires);
CREATE INDEX blacklist_owner_state ON blacklist(owner_id, state);
DROP INDEX sampling_year;
CREATE INDEX sampling_owner_year ON sampling(owner_id, year, category);
CREATE INDEX sampling_owner_sampled ON sampling(owner_id, sampled_on);
-- The pass-rate counts are kept per district, recounted here from the records.
DROP TABLE sampling_stats;
CREATE TABLE sampling_stats (
    owner_id BIGINT NOT NULL,
    year BIGINT NOT NULL,
    level TEXT NOT NULL,
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    ccc BIGINT NOT NULL,
    category TEXT NOT NULL,
    batches BIGINT NOT NULL,
    passed BIGINT NOT NULL,
    PRIMARY KEY (owner_id, year, level, stage, kind, ccc, category)
);
INSERT INTO sampling_stats (owner_id, year, level, stage, kind, ccc, category, batches, passed)
    SELECT owner_id, year, level, stage, kind, ccc, category, COUNT(*), CAST(SUM(passed) AS BIGINT)
    FROM sampling GROUP BY owner_id, year, level, stage, kind, ccc, category
