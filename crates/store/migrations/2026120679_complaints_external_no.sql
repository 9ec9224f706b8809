-- Imported tickets keep the other hotline system's number (工单编号), so a file imported again
-- adds nothing: one number per district and channel.
ALTER TABLE complaint_tickets ADD COLUMN external_no TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX complaint_tickets_external ON complaint_tickets(owner_id, channel, external_no) WHERE external_no <> ''
