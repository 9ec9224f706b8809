-- A district's overview and the city's comparison count the obligations of one owner (or
-- group by owner) with the overview's columns: one covering index serves both without
-- reading the table.
DROP INDEX obligations_owner;
CREATE INDEX obligations_owner_tally ON obligations(owner_id, retired, unit_id, category, status, due_date, submitted_on, accepted_on);
