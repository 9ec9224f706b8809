-- Acceptance is kept per district: each score sheet and each stage (with its findings,
-- rectifications and decisions) belongs to the district (or city) whose acceptance it
-- prepares. Rows stored before have one owner: the installation's home district, the owner of
-- the first plan version.
ALTER TABLE acceptance_sheets ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
UPDATE acceptance_sheets SET owner_id = (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1);
CREATE INDEX acceptance_sheets_owner ON acceptance_sheets(owner_id);
-- A stage's code was unique in the installation and is now unique per owner. Neither database
-- drops such a constraint in the same words, so the stages and the three tables that refer to
-- them are built again under new names and renamed. Every row keeps its id (findings and
-- rectifications are addressed by id). Before the rows are copied, placeholder rows (deleted
-- at once) move each new table's id counter past the highest id kept, the one way to set it
-- that both databases share.
CREATE TABLE acceptance_stages_owned (
    id {ID},
    owner_id BIGINT REFERENCES org_units(id),
    code TEXT NOT NULL,
    sheet_toml TEXT NOT NULL,
    held_on TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    UNIQUE (owner_id, code)
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT MAX(id) FROM acceptance_stages))
INSERT INTO acceptance_stages_owned (code, sheet_toml, held_on, opened_by, opened_at)
SELECT 'n' || CAST(i AS TEXT), '', '', '', '' FROM n;
DELETE FROM acceptance_stages_owned;
INSERT INTO acceptance_stages_owned (id, owner_id, code, sheet_toml, held_on, opened_by, opened_at)
SELECT id, (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1), code, sheet_toml, held_on, opened_by, opened_at FROM acceptance_stages;
CREATE TABLE acceptance_findings_owned (
    id {ID},
    stage_id BIGINT NOT NULL REFERENCES acceptance_stages_owned(id),
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT MAX(id) FROM acceptance_findings))
INSERT INTO acceptance_findings_owned (stage_id, body, created_by, created_at)
SELECT (SELECT MIN(id) FROM acceptance_stages_owned), '', '', '' FROM n WHERE EXISTS (SELECT 1 FROM acceptance_stages_owned);
DELETE FROM acceptance_findings_owned;
INSERT INTO acceptance_findings_owned (id, stage_id, body, created_by, created_at)
SELECT id, stage_id, body, created_by, created_at FROM acceptance_findings;
CREATE TABLE acceptance_rectifications_owned (
    id {ID},
    stage_id BIGINT NOT NULL REFERENCES acceptance_stages_owned(id),
    body TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    deadline TEXT NOT NULL,
    content_code TEXT NOT NULL DEFAULT '',
    done BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT MAX(id) FROM acceptance_rectifications))
INSERT INTO acceptance_rectifications_owned (stage_id, body, unit_code, deadline, created_by, created_at, updated_at)
SELECT (SELECT MIN(id) FROM acceptance_stages_owned), '', '', '', '', '', '' FROM n WHERE EXISTS (SELECT 1 FROM acceptance_stages_owned);
DELETE FROM acceptance_rectifications_owned;
INSERT INTO acceptance_rectifications_owned (id, stage_id, body, unit_code, deadline, content_code, done, created_by, created_at, updated_at)
SELECT id, stage_id, body, unit_code, deadline, content_code, done, created_by, created_at, updated_at FROM acceptance_rectifications;
CREATE TABLE acceptance_decisions_owned (
    id {ID},
    stage_id BIGINT NOT NULL REFERENCES acceptance_stages_owned(id),
    criterion TEXT NOT NULL,
    points DOUBLE PRECISION NOT NULL,
    proposed DOUBLE PRECISION NOT NULL,
    veto_failed BIGINT NOT NULL DEFAULT 0,
    overridden BIGINT NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    UNIQUE (stage_id, criterion)
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT MAX(id) FROM acceptance_decisions))
INSERT INTO acceptance_decisions_owned (stage_id, criterion, points, proposed, decided_by, decided_at)
SELECT (SELECT MIN(id) FROM acceptance_stages_owned), 'n' || CAST(i AS TEXT), 0, 0, '', '' FROM n WHERE EXISTS (SELECT 1 FROM acceptance_stages_owned);
DELETE FROM acceptance_decisions_owned;
INSERT INTO acceptance_decisions_owned (id, stage_id, criterion, points, proposed, veto_failed, overridden, comment, decided_by, decided_at)
SELECT id, stage_id, criterion, points, proposed, veto_failed, overridden, comment, decided_by, decided_at FROM acceptance_decisions;
DROP TABLE acceptance_decisions;
DROP TABLE acceptance_rectifications;
DROP TABLE acceptance_findings;
DROP TABLE acceptance_stages;
ALTER TABLE acceptance_stages_owned RENAME TO acceptance_stages;
ALTER TABLE acceptance_findings_owned RENAME TO acceptance_findings;
ALTER TABLE acceptance_rectifications_owned RENAME TO acceptance_rectifications;
ALTER TABLE acceptance_decisions_owned RENAME TO acceptance_decisions;
CREATE INDEX acceptance_findings_stage ON acceptance_findings(stage_id);
CREATE INDEX acceptance_rectifications_stage ON acceptance_rectifications(stage_id)
