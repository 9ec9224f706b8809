-- A unit's supervision figures kept by duty and by the year its obligations entered 应完成 as
-- of the kept date (0 while they have not), beside the overviews' cells, so a period's unit
-- figures (the assessment's scores, the leaders' view) read kept rows instead of counting the
-- obligations. The kept date is cleared: the next rebuild (the daily job, or `qcity rebuild`)
-- counts both tables, and the overviews count the obligations meanwhile.
CREATE TABLE obligation_period_tallies (
    owner_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
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
    PRIMARY KEY (owner_id, unit_id, duty, entered_year)
);
DELETE FROM tally_state;
