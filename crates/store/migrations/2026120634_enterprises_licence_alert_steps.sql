-- Licence expiry steps already reported (60 days left, 30 days left, expired), one row per
-- licence, expiry date and step. The daily digest lists only steps not yet in here, so each
-- step is reported once. A licence renewed to a new expiry date starts again.
CREATE TABLE licence_alert_steps (
    licence_id BIGINT NOT NULL REFERENCES licences(id),
    expires TEXT NOT NULL,
    step TEXT NOT NULL,
    reported_on TEXT NOT NULL,
    PRIMARY KEY (licence_id, expires, step)
)
