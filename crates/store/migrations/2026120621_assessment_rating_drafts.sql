-- An evaluator rates every unit on one page: ratings stay a draft (no submitted_at) until the
-- evaluator submits them together, and only submitted ratings count. Ratings made before
-- drafts existed counted when made.
ALTER TABLE assessment_ratings ADD COLUMN submitted_at TEXT;
UPDATE assessment_ratings SET submitted_at = updated_at
