-- Indicator values are kept per district: each row carries the org unit whose plan it
-- measures. Rows stored before belong to the installation's home district (the owner of the
-- first plan version). Version numbers stay unique per indicator, measure and year across
-- districts (the old unique key), and a page numbers each district's versions on its own.
ALTER TABLE indicator_values ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
UPDATE indicator_values SET owner_id = (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1);
CREATE INDEX indicator_values_owner ON indicator_values(owner_id, indicator, measure, year, version);
-- What each district discloses on its public portal: one row per district and indicator.
-- The owner may be empty only in rows restored from a backup made before this migration.
CREATE TABLE indicator_disclosure_owned (
    owner_id BIGINT REFERENCES org_units(id),
    indicator TEXT NOT NULL,
    public BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO indicator_disclosure_owned (owner_id, indicator, public, updated_by, updated_at)
    SELECT (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1), indicator, public, updated_by, updated_at
    FROM indicator_disclosure;
DROP TABLE indicator_disclosure;
ALTER TABLE indicator_disclosure_owned RENAME TO indicator_disclosure;
CREATE UNIQUE INDEX indicator_disclosure_key ON indicator_disclosure(owner_id, indicator);
