-- 上下联动: a district's obligation may name the city task it serves (an obligation of the
-- city's own plan given to the district).
ALTER TABLE obligations ADD COLUMN serves_id BIGINT;
CREATE INDEX obligations_serves ON obligations(serves_id) WHERE serves_id IS NOT NULL;
