-- Daily supervision steps. 签收: who acknowledged an obligation and on which business date.
-- 撤回: the business date a unit withdrew its hand-in (the report stays, no longer final).
-- A notice's read date is kept as a business date too, for the obligation's timeline.
ALTER TABLE obligations ADD COLUMN acknowledged_by TEXT;
ALTER TABLE obligations ADD COLUMN acknowledged_on TEXT;
ALTER TABLE reports ADD COLUMN withdrawn_on TEXT;
ALTER TABLE notices ADD COLUMN read_on TEXT
