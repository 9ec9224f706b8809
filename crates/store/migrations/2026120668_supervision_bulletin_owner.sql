-- Each district issues its own bulletins (通报), numbered per district and year, one in force
-- per district and period. Bulletins issued before belong to the installation's district.
ALTER TABLE bulletins ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
UPDATE bulletins SET owner_id = (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1);
CREATE INDEX bulletins_owner ON bulletins(owner_id, period, status);
