//! Bulk import of complaint tickets: the rows another hotline system exported, checked and
//! written in one pass, with their histories.
//!
//! Each row becomes a ticket of the importing office's district with the next number of its
//! year, and the history the domain's transitions give it: accepted and dispatched on the day
//! received (to the unit the row names, else the unit the catalogue routes to, else the triage
//! queue), and for a ticket the other system had finished, signed that day and replied,
//! visited and closed on its closing date (the other system reports only these two dates). The
//! ticket's fields are the fold of those events through `ticket::apply`, so an imported ticket
//! is one the pages and the clock know.
//!
//! Rows are written through the bulk path ([`crate::bulk`]): prepared multi-row inserts on
//! SQLite, arrays through `unnest` on PostgreSQL, inside the import's one transaction. The
//! dashboard counts of the new tickets are computed from the same histories as they are built
//! and added to the kept cells at the end, as [`counts::recount`] would have (a kept date
//! before the business date recounts everything instead, as an event would).
//!
//! A file with any refused row saves nothing: the rows written so far are rolled back to the
//! savepoint taken at the start, and the report lists every refused row. A number already
//! imported for the same channel (工单编号) is counted unchanged and not imported again.

use super::counts::{self, Cell};
use super::registers;
use crate::bulk::{self, Kind, Rows, Value};
use crate::import::{Context, ImportRecord};
use crate::{Backend, Result, StoreError, Tx, now_text, units_under_sql};
use chrono::{Datelike, NaiveDate};
use qcity_domain::complaints::calendar::Calendar;
use qcity_domain::complaints::catalogue::{Catalogue, Limits};
use qcity_domain::complaints::classify::{Classifier, Proposal};
use qcity_domain::complaints::figures::{Counts, TicketFigures};
use qcity_domain::complaints::ticket::{
    self, Basis, Channel, ClockFacts, Dated, Event, Satisfaction, Status, Ticket,
};
use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::{CodeList, Refusal, first_refusal};
use qcity_domain::role::Role;
use sqlx::Row;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

pub use qcity_domain::complaints::import::TicketRow;

/// Rows per batch handed to the writer.
const BATCH: usize = 2000;
/// New tickets are kept until this many wait, then written in bulk with their histories.
const WRITE_ROWS: usize = 20_000;
/// External numbers looked up per statement.
const LOOKUP_ROWS: usize = 500;
/// The savepoint a refused file is rolled back to.
const SAVEPOINT: &str = "complaint_import";
/// The PostgreSQL advisory lock on a district's ticket numbers (the intake's).
const NUMBERS_LOCK: i64 = 51030;

/// The stored columns of a new ticket, in the order [`Writer::ticket_values`] gives them.
static TICKETS: bulk::Table = bulk::Table {
    name: "complaint_tickets",
    columns: &[
        ("id", Kind::Int),
        ("owner_id", Kind::Int),
        ("number", Kind::Text),
        ("year", Kind::Int),
        ("seq", Kind::Int),
        ("code_hash", Kind::Text),
        ("channel", Kind::Text),
        ("received_on", Kind::Text),
        ("category", Kind::Text),
        ("sign_days", Kind::Int),
        ("reply_days", Kind::Int),
        ("close_days", Kind::Int),
        ("description", Kind::Text),
        ("enterprise_name", Kind::Text),
        ("enterprise_code", Kind::Text),
        ("address", Kind::Text),
        ("area", Kind::Text),
        ("contact_name", Kind::Text),
        ("contact_phone", Kind::Text),
        ("status", Kind::Text),
        ("unit_id", Kind::Int),
        ("last_unit_id", Kind::Int),
        ("satisfaction", Kind::Text),
        ("finding", Kind::Text),
        ("sign_due", Kind::Text),
        ("reply_due", Kind::Text),
        ("close_due", Kind::Text),
        ("external_no", Kind::Text),
        ("created_at", Kind::Text),
        ("updated_at", Kind::Text),
    ],
    on_conflict: "",
};

/// A history row.
static EVENTS: bulk::Table = bulk::Table {
    name: "complaint_events",
    columns: &[
        ("ticket_id", Kind::Int),
        ("owner_id", Kind::Int),
        ("on_date", Kind::Text),
        ("kind", Kind::Text),
        ("days", Kind::Int),
        ("actor", Kind::Text),
        ("actor_unit_id", Kind::Int),
        ("unit_id", Kind::Int),
        ("reason", Kind::Text),
        ("created_at", Kind::Text),
    ],
    on_conflict: "",
};

/// A ticket's own contribution to the dashboard (what an event later replaces).
static TICKET_COUNTS: bulk::Table = bulk::Table {
    name: "complaint_ticket_counts",
    columns: &[
        ("ticket_id", Kind::Int),
        ("owner_id", Kind::Int),
        ("unit_id", Kind::Int),
        ("category", Kind::Text),
        ("channel", Kind::Text),
        ("month", Kind::Text),
        ("tickets", Kind::Int),
        ("handled", Kind::Int),
        ("sign_due", Kind::Int),
        ("sign_on_time", Kind::Int),
        ("reply_due", Kind::Int),
        ("reply_on_time", Kind::Int),
        ("close_due", Kind::Int),
        ("close_on_time", Kind::Int),
        ("rated", Kind::Int),
        ("satisfied", Kind::Int),
        ("repeats", Kind::Int),
    ],
    on_conflict: "",
};

/// The kept cells, added to (each cell once per statement: the import sums them first).
static CELLS: bulk::Table = bulk::Table {
    name: "complaint_counts",
    columns: &[
        ("owner_id", Kind::Int),
        ("unit_id", Kind::Int),
        ("category", Kind::Text),
        ("channel", Kind::Text),
        ("month", Kind::Text),
        ("tickets", Kind::Int),
        ("handled", Kind::Int),
        ("sign_due", Kind::Int),
        ("sign_on_time", Kind::Int),
        ("reply_due", Kind::Int),
        ("reply_on_time", Kind::Int),
        ("close_due", Kind::Int),
        ("close_on_time", Kind::Int),
        ("rated", Kind::Int),
        ("satisfied", Kind::Int),
        ("repeats", Kind::Int),
    ],
    on_conflict: "ON CONFLICT (owner_id, unit_id, category, channel, month) DO UPDATE SET \
        tickets = complaint_counts.tickets + excluded.tickets, \
        handled = complaint_counts.handled + excluded.handled, \
        sign_due = complaint_counts.sign_due + excluded.sign_due, \
        sign_on_time = complaint_counts.sign_on_time + excluded.sign_on_time, \
        reply_due = complaint_counts.reply_due + excluded.reply_due, \
        reply_on_time = complaint_counts.reply_on_time + excluded.reply_on_time, \
        close_due = complaint_counts.close_due + excluded.close_due, \
        close_on_time = complaint_counts.close_on_time + excluded.close_on_time, \
        rated = complaint_counts.rated + excluded.rated, \
        satisfied = complaint_counts.satisfied + excluded.satisfied, \
        repeats = complaint_counts.repeats + excluded.repeats",
};

/// One of the district's units: id and code, found by code or name.
#[derive(Debug, Clone)]
struct Unit {
    id: i64,
    code: String,
    name: String,
}

/// What a ticket import keeps from batch to batch.
pub struct Writer {
    owner: i64,
    backend: Backend,
    catalogue: Catalogue,
    /// Category codes by code, Chinese and English label (lower case).
    categories: HashMap<String, String>,
    classifier: Classifier,
    calendar: Calendar,
    units: Vec<Unit>,
    /// Units found by the text of a cell or a route, once each.
    found: HashMap<String, Option<Unit>>,
    /// The next number of each year of receipt.
    next_seq: HashMap<i32, i64>,
    /// SQLite: the next id (the import holds the only write lock). PostgreSQL: ids drawn
    /// from the table's sequence, a batch at a time.
    next_id: i64,
    drawn: std::vec::IntoIter<i64>,
    /// The first and last id given (the credit events of the import are found by them).
    ids: Option<(i64, i64)>,
    /// The district already has imported numbers: each batch looks its numbers up.
    any_external: bool,
    /// Numbers met in this file: (channel, number) → line and a digest of the row.
    seen: HashMap<(Channel, String), (usize, u64)>,
    /// The kept date the counts are computed as of; `None`: everything is recounted at the
    /// end (no kept date yet, or an older one).
    as_of: Option<NaiveDate>,
    today: NaiveDate,
    cells: HashMap<Cell, Counts>,
    /// Open tickets dispatched per unit (one notice each at the end).
    dispatched: HashMap<i64, usize>,
    /// A closed substantiated ticket naming an enterprise was imported: look for credit events.
    credit: bool,
    tickets: Rows,
    events: Rows,
    ticket_counts: Rows,
    now: String,
}

fn refusal(zh: String, en: String) -> Refusal {
    Refusal::new(zh, en)
}

/// A digest of a row, to tell a number repeated with the same content from one with other.
fn digest(row: &TicketRow) -> u64 {
    let mut h = DefaultHasher::new();
    row.hash(&mut h);
    h.finish()
}

/// Tickets are imported by the office only, into its district; see the module's notes.
impl ImportRecord for TicketRow {
    const REGISTRY: &'static str = "complaints";
    const BATCH: usize = BATCH;
    const AUDIT: (&'static str, &'static str) = ("complaint.import", "complaint_import");
    const SIDE_COUNT: &'static str = "triage";
    type Writer = Writer;

    fn check(&self, today: NaiveDate) -> std::result::Result<(), Refusal> {
        first_refusal(self.problems(today))
    }

    async fn begin(cx: &mut Context<'_>) -> Result<Writer> {
        if cx.actor.role != Some(Role::Office) {
            return Err(StoreError::Forbidden);
        }
        let backend = cx.store.backend;
        let owner = super::owner_id(&mut cx.tx, &cx.actor).await?;
        // The numbers' lock first, then the counts' (the intake's order: no deadlock).
        if backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(i32::try_from(NUMBERS_LOCK).unwrap_or(0))
                .bind(i32::try_from(owner).unwrap_or(0))
                .execute(&mut *cx.tx)
                .await?;
        }
        counts::lock(&mut cx.tx).await?;
        let today = cx.today;
        let as_of = counts::as_of_in(&mut cx.tx)
            .await?
            .filter(|kept| *kept >= today);
        sqlx::query(&format!("SAVEPOINT {SAVEPOINT}"))
            .execute(&mut *cx.tx)
            .await?;
        let catalogue = registers::catalogue_in(&mut cx.tx, owner).await?;
        let mut categories = HashMap::new();
        for c in &catalogue.categories {
            for key in [&c.code, &c.zh, &c.en] {
                categories.insert(fold(key), c.code.clone());
            }
        }
        let calendar = registers::calendar_in(&mut cx.tx, owner).await?;
        let units = sqlx::query(&format!(
            "SELECT id, code, name FROM org_units WHERE id IN {} ORDER BY LENGTH(code), id",
            units_under_sql(&owner.to_string())
        ))
        .fetch_all(&mut *cx.tx)
        .await?
        .iter()
        .map(|r| {
            Ok(Unit {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let any_external = sqlx::query(
            "SELECT id FROM complaint_tickets WHERE owner_id = $1 AND external_no <> '' LIMIT 1",
        )
        .bind(owner)
        .fetch_optional(&mut *cx.tx)
        .await?
        .is_some();
        let next_id = match backend {
            Backend::Sqlite => first_free_id(&mut cx.tx).await?,
            Backend::Postgres => 0,
        };
        Ok(Writer {
            owner,
            backend,
            catalogue,
            categories,
            classifier: Classifier::default_classifier(),
            calendar,
            units,
            found: HashMap::new(),
            next_seq: HashMap::new(),
            next_id,
            drawn: Vec::new().into_iter(),
            ids: None,
            any_external,
            seen: HashMap::new(),
            as_of,
            today,
            cells: HashMap::new(),
            dispatched: HashMap::new(),
            credit: false,
            tickets: Rows::new(&TICKETS),
            events: Rows::new(&EVENTS),
            ticket_counts: Rows::new(&TICKET_COUNTS),
            now: now_text(),
        })
    }

    async fn write(
        w: &mut Writer,
        cx: &mut Context<'_>,
        rows: Vec<(usize, TicketRow)>,
    ) -> Result<()> {
        let existing = existing_numbers(w, cx, &rows).await?;
        if w.backend == Backend::Postgres {
            draw_ids(w, &mut cx.tx, rows.len()).await?;
        }
        for (line, row) in rows {
            let key = (row.channel, row.external_no.clone());
            if !row.external_no.is_empty() {
                let d = digest(&row);
                if let Some((first, first_digest)) = w.seen.get(&key) {
                    if *first_digest == d {
                        cx.report.unchanged += 1;
                    } else {
                        let first = *first;
                        cx.report.refuse_line(
                            line,
                            &refusal(
                                format!("工单编号“{}”与第{first}行重复且内容不同", row.external_no),
                                format!(
                                    "ticket number “{}” repeats row {first} with other content",
                                    row.external_no
                                ),
                            ),
                        );
                    }
                    continue;
                }
                w.seen.insert(key.clone(), (line, d));
                if existing.contains(&key) {
                    cx.report.unchanged += 1;
                    continue;
                }
            }
            match w.ticket(row) {
                Ok(new) => {
                    let triage = new.ticket.status == Status::Accepted;
                    // Once a row is refused nothing is saved: later rows are only checked.
                    if cx.report.problems_total == 0 {
                        let seq = w.next_seq(&mut cx.tx, new.row.received_on.year()).await?;
                        let id = w.next_id()?;
                        w.push(id, seq, new, &cx.actor.username)?;
                    }
                    cx.report.created += 1;
                    cx.report.side += usize::from(triage);
                }
                Err(r) => cx.report.refuse_line(line, &r),
            }
        }
        if cx.report.problems_total == 0 && w.tickets.len() >= WRITE_ROWS {
            w.flush(&mut cx.tx).await?;
        }
        Ok(())
    }

    async fn finish(mut w: Writer, cx: &mut Context<'_>) -> Result<()> {
        if cx.report.problems_total > 0 {
            sqlx::query(&format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}"))
                .execute(&mut *cx.tx)
                .await?;
            let refused = cx.report.problems_total;
            cx.report.created = 0;
            cx.report.side = 0;
            cx.report.warnings.push(Diagnostic::warning(
                "file",
                format!(
                    "{refused} row(s) refused: nothing of the file was saved; correct them and import the file again"
                ),
                format!("有 {refused} 行被拒绝，整份文件未保存；请改正后重新导入"),
            ));
            return Ok(());
        }
        w.flush(&mut cx.tx).await?;
        let Some((first, last)) = w.ids else {
            return Ok(());
        };
        match w.as_of {
            Some(_) => {
                let mut cells = Rows::new(&CELLS);
                for (cell, c) in std::mem::take(&mut w.cells) {
                    cells.push(cell_values(&cell, &c))?;
                }
                cells.write(w.backend, &mut cx.tx).await?;
                counts::relines(&mut cx.tx, Some(w.owner)).await?;
            }
            // No kept date yet, or an older one: everything is recounted as of the business
            // date, as the first event of the day would.
            None => counts::recount(&mut cx.tx, first, w.today).await?,
        }
        if w.credit {
            credit_events(
                &mut cx.tx,
                w.owner,
                (first, last),
                &cx.actor.username,
                &w.now,
            )
            .await?;
        }
        notify(&mut cx.tx, &w, first).await?;
        sqlx::query(&format!("RELEASE SAVEPOINT {SAVEPOINT}"))
            .execute(&mut *cx.tx)
            .await?;
        Ok(())
    }
}

/// Case and space folded, for matching what a clerk typed.
fn fold(s: &str) -> String {
    s.split_whitespace().collect::<String>().to_lowercase()
}

/// The first id SQLite's AUTOINCREMENT would give (never one used before, even if deleted).
async fn first_free_id(tx: &mut Tx) -> Result<i64> {
    let used: Option<i64> = sqlx::query(
        "SELECT MAX(n) AS n FROM (SELECT MAX(id) AS n FROM complaint_tickets \
         UNION ALL SELECT seq AS n FROM sqlite_sequence WHERE name = 'complaint_tickets') AS t",
    )
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?;
    Ok(used.unwrap_or(0) + 1)
}

/// Draws `n` ids from the table's sequence (PostgreSQL).
async fn draw_ids(w: &mut Writer, tx: &mut Tx, n: usize) -> Result<()> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence('complaint_tickets', 'id')) AS id FROM generate_series(1, $1) ORDER BY 1",
    )
    .bind(i64::try_from(n).unwrap_or(0))
    .fetch_all(&mut **tx)
    .await?;
    w.drawn = ids.into_iter();
    Ok(())
}

/// The batch's numbers the district already imported: (channel, number).
async fn existing_numbers(
    w: &Writer,
    cx: &mut Context<'_>,
    rows: &[(usize, TicketRow)],
) -> Result<HashSet<(Channel, String)>> {
    let mut out = HashSet::new();
    if !w.any_external {
        return Ok(out);
    }
    let numbers: Vec<&str> = rows
        .iter()
        .map(|(_, r)| r.external_no.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    for part in numbers.chunks(LOOKUP_ROWS) {
        let placeholders: Vec<String> = (2..part.len() + 2)
            .map(|i| crate::param(w.backend, i))
            .collect();
        let sql = format!(
            "SELECT channel, external_no FROM complaint_tickets WHERE owner_id = {} AND external_no IN ({})",
            crate::param(w.backend, 1),
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(w.owner);
        for n in part {
            q = q.bind(*n);
        }
        for r in q.fetch_all(&mut *cx.tx).await? {
            let channel: String = r.try_get("channel")?;
            if let Some(c) = Channel::ALL.iter().copied().find(|c| c.code() == channel) {
                out.insert((c, r.try_get("external_no")?));
            }
        }
    }
    Ok(out)
}

/// A new ticket, built in memory: its row, its history and what it counts.
struct NewTicket {
    category: Option<String>,
    limits: Limits,
    unit: Option<Unit>,
    /// (day, event) in order.
    history: Vec<(NaiveDate, Event)>,
    ticket: Ticket,
    row: TicketRow,
}

impl Writer {
    /// The unit a cell or a route names: a code of the district's (or one with the district's
    /// prefix, as `district_unit` finds it), or a unit's name.
    fn unit(&mut self, text: &str) -> Option<Unit> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Some(u) = self.found.get(text) {
            return u.clone();
        }
        let found = self
            .units
            .iter()
            .find(|u| u.code == text)
            .or_else(|| self.units.iter().find(|u| u.name == text))
            .or_else(|| self.units.iter().find(|u| u.code.ends_with(text)))
            .cloned();
        self.found.insert(text.to_string(), found.clone());
        found
    }

    /// The ticket a row becomes, or why it is refused.
    fn ticket(&mut self, row: TicketRow) -> std::result::Result<NewTicket, Refusal> {
        if row.channel == Channel::Supervisor {
            return Err(refusal(
                "质量监督员的报告请在本系统中登记，不能导入".into(),
                "quality supervisors' reports are filed here, not imported".into(),
            ));
        }
        let category = match row.category.trim() {
            "" => match self.classifier.propose(&row.text) {
                Proposal::Category { code, .. } => Some(code),
                Proposal::Triage { .. } => None,
            },
            written => match self.categories.get(&fold(written)) {
                Some(code) => Some(code.clone()),
                None => {
                    return Err(refusal(
                        format!("类别“{written}”不在本区县的派单目录中"),
                        format!("category “{written}” is not in the district's catalogue"),
                    ));
                }
            },
        };
        let limits = category
            .as_deref()
            .and_then(|c| self.catalogue.category(c))
            .map(|c| c.limits)
            .unwrap_or(super::UNKNOWN_LIMITS);
        let unit = if row.unit.trim().is_empty() {
            let area = Some(row.area.trim()).filter(|a| !a.is_empty());
            let routed = category
                .as_deref()
                .and_then(|c| self.catalogue.route(c, area).ok())
                .map(str::to_string);
            routed.and_then(|code| self.unit(&code))
        } else {
            match self.unit(&row.unit) {
                Some(u) => Some(u),
                None => {
                    return Err(refusal(
                        format!("承办单位“{}”不是本区县的单位", row.unit.trim()),
                        format!("“{}” is not one of the district's units", row.unit.trim()),
                    ));
                }
            }
        };
        let mut history = vec![(row.received_on, Event::Accept)];
        if let Some(u) = &unit {
            history.push((
                row.received_on,
                Event::Dispatch {
                    unit: u.code.clone(),
                },
            ));
        }
        if let (Some(closed), Some(finding)) = (row.closed_on, row.finding) {
            if unit.is_none() {
                return Err(refusal(
                    "已办结的工单须填写承办单位（派单目录也无法确定承办单位）".into(),
                    "a closed ticket needs its handling unit (the catalogue names none)".into(),
                ));
            }
            let satisfaction = row.satisfaction.unwrap_or(Satisfaction::Unreachable);
            history.extend([
                (row.received_on, Event::Sign),
                (closed, Event::Reply { finding }),
                (closed, Event::Visit { satisfaction }),
                (closed, Event::Close),
            ]);
        }
        let ticket = fold_history(&history, unit.as_ref().map(|u| u.code.as_str()))?;
        Ok(NewTicket {
            category,
            limits,
            unit,
            history,
            ticket,
            row,
        })
    }

    fn next_id(&mut self) -> Result<i64> {
        let id = match self.backend {
            Backend::Sqlite => {
                let id = self.next_id;
                self.next_id += 1;
                id
            }
            // Drawn for the batch before its rows are built: one per row at most.
            Backend::Postgres => self.drawn.next().ok_or_else(|| {
                StoreError::Db(sqlx::Error::Protocol(
                    "a complaint import ran out of drawn ids".into(),
                ))
            })?,
        };
        self.ids = Some(match self.ids {
            None => (id, id),
            Some((a, b)) => (a.min(id), b.max(id)),
        });
        Ok(id)
    }

    /// The next number of a year of receipt, continuing the district's sequence.
    async fn next_seq(&mut self, tx: &mut Tx, year: i32) -> Result<i64> {
        if !self.next_seq.contains_key(&year) {
            let n: i64 = sqlx::query(
                "SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM complaint_tickets WHERE owner_id = $1 AND year = $2",
            )
            .bind(self.owner)
            .bind(i64::from(year))
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
            self.next_seq.insert(year, n);
        }
        let seq = self.next_seq.entry(year).or_insert(1);
        let n = *seq;
        *seq += 1;
        Ok(n)
    }

    /// Queues a built ticket's rows: the ticket, its history, and its counts when they are
    /// kept as of a date (added to the cells at the end).
    fn push(&mut self, id: i64, seq: i64, t: NewTicket, by: &str) -> Result<()> {
        let dated: Vec<Dated> = t
            .history
            .iter()
            .map(|(on, e)| Dated::new(*on, e.kind()))
            .collect();
        let facts = ClockFacts::from_history(&dated);
        let clock = ticket::clock(&facts, &t.limits, Basis::Unit, &self.calendar, self.today);
        let due = |s: usize| Value::from(clock[s].1.deadline().map(|d| d.to_string()));
        let year = t.row.received_on.year();
        let unit_id = t.unit.as_ref().map(|u| u.id);
        let opt_int = |v: Option<i64>| v.map_or(Value::Null, Value::Int);
        let r = &t.row;
        self.tickets.push([
            id.into(),
            self.owner.into(),
            format!("{year}-{seq:06}").into(),
            i64::from(year).into(),
            seq.into(),
            // No verification code: the citizen holds the other system's number, and an empty
            // hash never matches a code's.
            "".into(),
            r.channel.code().into(),
            r.received_on.to_string().into(),
            t.category.clone().into(),
            i64::from(t.limits.sign).into(),
            i64::from(t.limits.reply).into(),
            i64::from(t.limits.close).into(),
            r.text.trim().into(),
            r.enterprise_name.trim().into(),
            r.enterprise_code.trim().to_uppercase().into(),
            r.address.trim().into(),
            r.area.trim().into(),
            r.contact_name.trim().into(),
            r.contact_phone.trim().into(),
            t.ticket.status.code().into(),
            opt_int(unit_id.filter(|_| t.ticket.unit.is_some())),
            opt_int(unit_id),
            Value::from(t.ticket.satisfaction.map(|s| s.code().to_string())),
            Value::from(t.ticket.finding.map(|f| f.code().to_string())),
            due(0),
            due(1),
            due(2),
            r.external_no.as_str().into(),
            self.now.as_str().into(),
            self.now.as_str().into(),
        ])?;
        for (on, event) in &t.history {
            let kind = event.kind();
            // The unit's own steps name it as the actor's unit, a dispatch as its target.
            let acting_unit = matches!(event, Event::Sign | Event::Reply { .. });
            let target = matches!(event, Event::Dispatch { .. });
            self.events.push([
                id.into(),
                self.owner.into(),
                on.to_string().into(),
                kind.code().into(),
                Value::Int(0),
                by.into(),
                opt_int(unit_id.filter(|_| acting_unit)),
                opt_int(unit_id.filter(|_| target)),
                super::reason_of(event).into(),
                self.now.as_str().into(),
            ])?;
        }
        match (t.ticket.status, unit_id) {
            (Status::Dispatched, Some(u)) => *self.dispatched.entry(u).or_default() += 1,
            (Status::Closed, _) => {
                self.credit |= ticket::is_credit_event(&t.ticket)
                    && !(r.enterprise_code.trim().is_empty()
                        && r.enterprise_name.trim().is_empty());
            }
            _ => {}
        }
        if let Some(as_of) = self.as_of {
            let figures = TicketFigures::from_history(
                &dated,
                t.ticket.satisfaction,
                &t.limits,
                &self.calendar,
                as_of,
            );
            let mut c = Counts::default();
            c.add(&figures);
            let cell = Cell {
                owner_id: self.owner,
                unit_id: unit_id.unwrap_or(0),
                category: t.category.clone().unwrap_or_default(),
                channel: r.channel.code().to_string(),
                month: r.received_on.format("%Y-%m").to_string(),
            };
            let mut row: Vec<Value> = vec![
                id.into(),
                cell.owner_id.into(),
                cell.unit_id.into(),
                cell.category.as_str().into(),
                cell.channel.as_str().into(),
                cell.month.as_str().into(),
            ];
            row.extend(counts::values(&c).map(Value::Int));
            self.ticket_counts.push(row)?;
            *self.cells.entry(cell).or_default() += c;
        }
        Ok(())
    }

    /// Writes what waits, parents first.
    async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        self.tickets.write(self.backend, tx).await?;
        self.events.write(self.backend, tx).await?;
        self.ticket_counts.write(self.backend, tx).await
    }
}

/// The ticket the history makes, through the domain's transitions: the system accepts and
/// dispatches, the unit signs and replies, the office visits and closes.
fn fold_history(
    history: &[(NaiveDate, Event)],
    unit: Option<&str>,
) -> std::result::Result<Ticket, Refusal> {
    let mut t = Ticket::new();
    for (_, event) in history {
        let who = match event {
            Event::Accept | Event::Dispatch { .. } => ticket::Actor::System,
            Event::Sign | Event::Reply { .. } => ticket::Actor::Unit(unit.unwrap_or("")),
            _ => ticket::Actor::Office,
        };
        t = ticket::apply(&t, event, who).map_err(|e| {
            refusal(
                format!("工单无法按导入的内容办理（{}）", e.key()),
                format!("the ticket cannot be built from the row ({})", e.key()),
            )
        })?;
    }
    Ok(t)
}

/// A kept cell's values, in the order of [`CELLS`].
fn cell_values(cell: &Cell, c: &Counts) -> Vec<Value> {
    let mut row: Vec<Value> = vec![
        cell.owner_id.into(),
        cell.unit_id.into(),
        cell.category.as_str().into(),
        cell.channel.as_str().into(),
        cell.month.as_str().into(),
    ];
    row.extend(counts::values(c).map(Value::Int));
    row
}

/// The credit events of the imported tickets closed as substantiated against an enterprise
/// of the district's register (one per ticket, as a closing step records it), linked as the
/// step links them.
async fn credit_events(
    tx: &mut Tx,
    owner: i64,
    (first, last): (i64, i64),
    by: &str,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO credit_events (enterprise_id, kind, occurred_on, serious, summary, source, source_ref, unit_id, recorded_by, recorded_at, owner_id) \
         SELECT (SELECT MIN(x.id) FROM enterprises x WHERE x.owner_id = t.owner_id \
                   AND ((x.code = t.enterprise_code AND t.enterprise_code <> '') OR (x.name = t.enterprise_name AND t.enterprise_name <> ''))), \
                'complaint', c.on_date, 0, '质量投诉属实（工单 ' || t.number || '）', 'complaint', 'ticket:' || t.id, t.last_unit_id, $1, $2, t.owner_id \
         FROM complaint_tickets t JOIN complaint_events c ON c.ticket_id = t.id AND c.kind = 'close' \
         WHERE t.owner_id = $3 AND t.id >= $4 AND t.id <= $5 AND t.status = 'closed' AND t.finding IN ('substantiated', 'partly') \
           AND EXISTS (SELECT 1 FROM enterprises x WHERE x.owner_id = t.owner_id \
                   AND ((x.code = t.enterprise_code AND t.enterprise_code <> '') OR (x.name = t.enterprise_name AND t.enterprise_name <> ''))) \
         ON CONFLICT (source, source_ref) DO NOTHING",
    )
    .bind(by)
    .bind(now)
    .bind(owner)
    .bind(first)
    .bind(last)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO complaint_credit_events (ticket_id, owner_id, enterprise_id, credit_event_id, recorded_at) \
         SELECT t.id, t.owner_id, e.enterprise_id, e.id, $1 FROM complaint_tickets t \
         JOIN credit_events e ON e.source = 'complaint' AND e.source_ref = 'ticket:' || t.id \
         WHERE t.owner_id = $2 AND t.id >= $3 AND t.id <= $4 ON CONFLICT (ticket_id) DO NOTHING",
    )
    .bind(now)
    .bind(owner)
    .bind(first)
    .bind(last)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One notice to each unit the import dispatched open tickets to (not one per ticket).
async fn notify(tx: &mut Tx, w: &Writer, first: i64) -> Result<()> {
    let mut units: Vec<(&i64, &usize)> = w.dispatched.iter().collect();
    units.sort();
    for (unit, n) in units {
        sqlx::query(
            "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, respond_by, dedupe_key, created_at) \
             VALUES ($1, NULL, 'complaint', 'info', $2, $3, $4, NULL, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(*unit)
        .bind(format!("【投诉工单】批量导入 {n} 件工单已派至你单位，请签收"))
        .bind(format!("导入的工单已派至你单位，共 {n} 件，请在工单列表中签收办理。"))
        .bind(w.today.to_string())
        .bind(format!("complaint-import:{}:{first}:{unit}", w.owner))
        .bind(&w.now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
