-- A rate may be entered with the counts it is made of (合格批次 of 抽检批次), so that the
-- city's rate is the sum of the districts' numerators over the sum of their denominators.
ALTER TABLE indicator_values ADD COLUMN numerator DOUBLE PRECISION;
ALTER TABLE indicator_values ADD COLUMN denominator DOUBLE PRECISION;
