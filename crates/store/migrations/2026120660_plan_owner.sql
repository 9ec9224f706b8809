-- The org unit whose plan a version is (a district, or a city for its own plan), and the
-- owner of each obligation, so that each district runs its own plan in one installation.
-- Rows stored before have one owner: the installation's district.
ALTER TABLE plan_versions ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
ALTER TABLE obligations ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
UPDATE plan_versions SET owner_id = (SELECT MIN(id) FROM org_units WHERE kind = 'district');
UPDATE obligations SET owner_id = (SELECT MIN(id) FROM org_units WHERE kind = 'district');
CREATE INDEX obligations_owner ON obligations(owner_id, retired);
