-- Quality complaints (issue 18): tickets with their dated history, photos, the district's
-- calendar and dispatch catalogue as data, residents per district, the social quality
-- supervisors, quality disputes, and the dashboard counts kept current. Every record carries
-- the district that owns it (owner_id) from the start.
CREATE TABLE complaint_tickets (
    id {ID},
    owner_id BIGINT NOT NULL REFERENCES org_units(id),
    number TEXT NOT NULL,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    code_hash TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_on TEXT NOT NULL,
    category TEXT,
    confidence DOUBLE PRECISION,
    sign_days BIGINT NOT NULL,
    reply_days BIGINT NOT NULL,
    close_days BIGINT NOT NULL,
    description TEXT NOT NULL,
    enterprise_name TEXT NOT NULL DEFAULT '',
    enterprise_code TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    anonymous BIGINT NOT NULL DEFAULT 0,
    supervisor_id BIGINT,
    status TEXT NOT NULL,
    unit_id BIGINT REFERENCES org_units(id),
    last_unit_id BIGINT REFERENCES org_units(id),
    bounces BIGINT NOT NULL DEFAULT 0,
    dispute_decided BIGINT NOT NULL DEFAULT 0,
    escalated BIGINT NOT NULL DEFAULT 0,
    pending_extension BIGINT,
    extension_days BIGINT NOT NULL DEFAULT 0,
    reopened BIGINT NOT NULL DEFAULT 0,
    sign_due TEXT,
    reply_due TEXT,
    close_due TEXT,
    satisfaction TEXT,
    finding TEXT,
    merged_into BIGINT REFERENCES complaint_tickets(id),
    row_version BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (owner_id, number)
);
CREATE INDEX complaint_tickets_unit ON complaint_tickets(owner_id, unit_id, status);
CREATE INDEX complaint_tickets_status ON complaint_tickets(owner_id, status);
CREATE TABLE complaint_events (
    id {ID},
    ticket_id BIGINT NOT NULL REFERENCES complaint_tickets(id),
    owner_id BIGINT NOT NULL REFERENCES org_units(id),
    on_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    days BIGINT NOT NULL DEFAULT 0,
    actor TEXT NOT NULL,
    actor_unit_id BIGINT REFERENCES org_units(id),
    unit_id BIGINT REFERENCES org_units(id),
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX complaint_events_ticket ON complaint_events(ticket_id, id);
CREATE TABLE complaint_photos (
    id {ID},
    ticket_id BIGINT NOT NULL REFERENCES complaint_tickets(id),
    owner_id BIGINT NOT NULL REFERENCES org_units(id),
    sha256 TEXT NOT NULL REFERENCES evidence_files(sha256),
    filename TEXT NOT NULL,
    mime TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX complaint_photos_ticket ON complaint_photos(ticket_id);
CREATE TABLE complaint_calendars (
    owner_id BIGINT NOT NULL REFERENCES org_units(id),
    year BIGINT NOT NULL,
    days TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (owner_id, year)
);
CREATE TABLE complaint_catalogues (
    owner_id BIGINT NOT NULL PRIMARY KEY REFERENCES org_units(id),
    categories TEXT NOT NULL,
    routes TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE complaint_population (
    owner_id BIGINT NOT NULL REFERENCES org_units(id),
    year BIGINT NOT NULL,
    residents BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (owner_id, year)
);
CREATE TABLE complaint_supervisors (
    id {ID},
    owner_id BIGINT NOT NULL REFERENCES org_units(id),
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    appointed TEXT NOT NULL,
    term_ends TEXT NOT NULL,
    revoked TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE complaint_disputes (
    id {ID},
    owner_id BIGINT NOT NULL REFERENCES org_units(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    applicant TEXT NOT NULL,
    respondent TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    accepted_on TEXT,
    concluded_on TEXT,
    body TEXT NOT NULL DEFAULT '',
    conclusion TEXT NOT NULL DEFAULT '',
    compensation_fen BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    row_version BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE complaint_credit_events (
    ticket_id BIGINT NOT NULL PRIMARY KEY REFERENCES complaint_tickets(id),
    owner_id BIGINT NOT NULL REFERENCES org_units(id),
    enterprise_id BIGINT REFERENCES enterprises(id),
    credit_event_id BIGINT REFERENCES credit_events(id),
    recorded_at TEXT NOT NULL
);
CREATE TABLE complaint_ticket_counts (
    ticket_id BIGINT NOT NULL PRIMARY KEY REFERENCES complaint_tickets(id),
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
    repeats BIGINT NOT NULL
);
CREATE TABLE complaint_counts (
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
CREATE TABLE complaint_counts_state (
    id INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL
);
