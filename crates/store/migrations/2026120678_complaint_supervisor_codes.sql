-- Social quality supervisors: the area each one watches over, and the hash of the filing code
-- issued at appointment (shown once), with which a supervisor files observations without an
-- account. Supervisors appointed before have no code until the office issues one.
ALTER TABLE complaint_supervisors ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE complaint_supervisors ADD COLUMN code_hash TEXT NOT NULL DEFAULT '';
