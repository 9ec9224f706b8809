-- The register's filters offer the district's towns and industries: an index on each answers
-- the choices without reading the register's rows.
CREATE INDEX enterprises_owner_town ON enterprises(owner_id, town);
CREATE INDEX enterprises_owner_industry ON enterprises(owner_id, industry)
