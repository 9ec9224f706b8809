-- The complaint dashboard's lines: the kept cells summed by unit, by category and by channel
-- for each district and month, so the office's dashboard reads a few thousand rows instead of
-- every cell. '*' (and unit -1) marks the dimension summed over.
CREATE TABLE complaint_count_lines (
    owner_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    channel TEXT NOT NULL,
    month TEXT NOT NULL,
    tickets BIGINT NOT NULL,
    handled BIGINT NOT NULL,
    sign_due BIGINT NOT NULL,
    sign_on_time BIGINT NOT NULL,
    reply_due BIGINT NOT NULL,
    reply_on_time BIGINT NOT NULL,
    close_due BIGINT NOT NULL,
    close_on_time BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    repeats BIGINT NOT NULL,
    PRIMARY KEY (owner_id, unit_id, category, channel, month)
);
INSERT INTO complaint_count_lines
SELECT owner_id, unit_id, '*', '*', month,
    SUM(tickets), SUM(handled), SUM(sign_due), SUM(sign_on_time), SUM(reply_due), SUM(reply_on_time),
    SUM(close_due), SUM(close_on_time), SUM(rated), SUM(satisfied), SUM(repeats)
FROM complaint_counts GROUP BY owner_id, unit_id, month;
INSERT INTO complaint_count_lines
SELECT owner_id, -1, category, '*', month,
    SUM(tickets), SUM(handled), SUM(sign_due), SUM(sign_on_time), SUM(reply_due), SUM(reply_on_time),
    SUM(close_due), SUM(close_on_time), SUM(rated), SUM(satisfied), SUM(repeats)
FROM complaint_counts GROUP BY owner_id, category, month;
INSERT INTO complaint_count_lines
SELECT owner_id, -1, '*', channel, month,
    SUM(tickets), SUM(handled), SUM(sign_due), SUM(sign_on_time), SUM(reply_due), SUM(reply_on_time),
    SUM(close_due), SUM(close_on_time), SUM(rated), SUM(satisfied), SUM(repeats)
FROM complaint_counts GROUP BY owner_id, channel, month;
