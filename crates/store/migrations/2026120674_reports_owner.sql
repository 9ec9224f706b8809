-- Each district writes its own quality analysis reports: one per district and period,
-- numbered per district and year. Reports written before belong to the installation's district.
ALTER TABLE quality_reports ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
UPDATE quality_reports SET owner_id = (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1);
DROP INDEX quality_reports_period;
CREATE UNIQUE INDEX quality_reports_owner_period ON quality_reports(owner_id, period);
