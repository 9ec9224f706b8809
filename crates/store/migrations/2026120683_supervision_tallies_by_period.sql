-- The kept supervision figures also by duty and by the year an obligation entered 应完成 as of
-- the kept date (0 while it has not), so a period's unit figures (the assessment's scores, the
-- leaders' view) read kept cells instead of counting the obligations. The cells are counted
-- again by the next rebuild (the daily job, or `qcity rebuild`), and the overviews count meanwhile.
DROP TABLE obligation_tallies;
CREATE TABLE obligation_tallies (
    owner_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    duty TEXT NOT NULL,
    entered_year BIGINT NOT NULL,
    total BIGINT NOT NULL,
    expected BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    submitted BIGINT NOT NULL,
    returned BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    late BIGINT NOT NULL,
    overdue BIGINT NOT NULL,
    PRIMARY KEY (owner_id, unit_id, category, duty, entered_year)
);
DELETE FROM tally_state;
