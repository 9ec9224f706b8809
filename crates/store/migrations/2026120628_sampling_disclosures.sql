-- A failed sampling result reaches the public portal only once a second person has reviewed
-- it, from public_from (after the objection period). Failed results recorded before this
-- review existed were public already and stay so.
CREATE TABLE sampling_disclosures (
    sampling_id BIGINT PRIMARY KEY REFERENCES sampling(id),
    reviewed_by TEXT NOT NULL,
    reviewed_on TEXT NOT NULL,
    public_from TEXT NOT NULL
);
INSERT INTO sampling_disclosures (sampling_id, reviewed_by, reviewed_on, public_from)
    SELECT id, 'system:migration', COALESCE(reported_on, sampled_on), COALESCE(reported_on, sampled_on)
    FROM sampling WHERE passed = 0
