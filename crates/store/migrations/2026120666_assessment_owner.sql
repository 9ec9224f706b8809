-- Assessment is kept per district: each scheme, evaluation window and rating (draft or
-- submitted) belongs to the district (or city) whose plan it scores. Rows stored before have
-- one owner: the installation's home district, the owner of the first plan version.
ALTER TABLE assessment_schemes ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
ALTER TABLE assessment_windows ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
ALTER TABLE assessment_ratings ADD COLUMN owner_id BIGINT REFERENCES org_units(id);
UPDATE assessment_schemes SET owner_id = (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1);
UPDATE assessment_windows SET owner_id = (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1);
UPDATE assessment_ratings SET owner_id = (SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1);
CREATE INDEX assessment_schemes_owner ON assessment_schemes(owner_id, applies_from);
CREATE INDEX assessment_windows_owner ON assessment_windows(owner_id, period);
CREATE INDEX assessment_ratings_owner ON assessment_ratings(owner_id, window_id)
