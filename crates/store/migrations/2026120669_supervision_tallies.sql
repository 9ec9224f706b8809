-- The supervision figures kept current: one row per owner, unit and category, counted as of
-- one business date (tally_state), refreshed in the transaction of every change to an
-- obligation and rebuilt when the business date moves. Overviews read these rows instead of
-- counting every obligation, and a recount from the obligations gives the same figures.
CREATE TABLE obligation_tallies (
    owner_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    total BIGINT NOT NULL,
    expected BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    submitted BIGINT NOT NULL,
    returned BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    late BIGINT NOT NULL,
    overdue BIGINT NOT NULL,
    PRIMARY KEY (owner_id, unit_id, category)
);
CREATE TABLE tally_state (
    id INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL
);
CREATE INDEX obligations_cell ON obligations(owner_id, unit_id, category);
