-- Four eyes and objection periods, per kind of decision: the office's setting. A kind
-- without a row has the shipped setting (four eyes, no objection period).
CREATE TABLE approval_rules (
    kind TEXT PRIMARY KEY,
    four_eyes BIGINT NOT NULL,
    objection_days BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
