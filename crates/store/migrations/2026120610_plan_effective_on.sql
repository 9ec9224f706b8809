-- The business date a plan version took effect (its created_at stays the real time of import).
ALTER TABLE plan_versions ADD COLUMN effective_on TEXT;
