-- The newest audit record that may change a figure (every action but sign-ins, sign-outs and
-- failed sign-ins): the watermark kept views are checked against reads it, so a morning of
-- sign-ins leaves every kept view standing.
ALTER TABLE audit_head ADD COLUMN figures_seq BIGINT NOT NULL DEFAULT 0;
UPDATE audit_head SET figures_seq = seq
