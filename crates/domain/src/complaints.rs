//! Quality complaints and disputes (质量投诉): the pure rules of a 12345/12315-style work-order
//! platform. The store keeps tickets and their dated history; these modules decide.
//!
//! * [`calendar`]: official working days (holidays and 调休 as data per year).
//! * [`ticket`]: channels, statuses, events and the one transition function of the 12345 flow;
//!   the clock (stage deadlines with paused intervals) and the warning ladder.
//! * [`catalogue`]: the dispatch catalogue (派单目录): category → responsible unit.
//! * [`classify`]: a naive Bayes classifier proposing a category for Chinese free text.
//! * [`merge`]: duplicate suggestions and the merge rule (并单).
//! * [`figures`]: on-time, satisfaction, per-10,000, trend, repeat rate and unit ranking.
//! * [`personal`]: masking of phone numbers, e-mail, ID numbers and names.
//! * [`open311`]: GeoReport v2 services and the checks on posts and list filters.
//! * [`disputes`]: arbitration and appraisal cases (质量仲裁检验, 质量鉴定).
//! * [`supervisors`]: when a social quality supervisor (社会质量监督员) may file.
//!
//! `docs/complaints.md` describes the model.
//!
//! ```
//! use chrono::NaiveDate;
//! use qcity_domain::complaints::calendar::Calendar;
//! use qcity_domain::complaints::catalogue::Catalogue;
//! use qcity_domain::complaints::classify::Classifier;
//! use qcity_domain::complaints::ticket::{
//!     Actor, Basis, ClockFacts, Dated, Event, EventKind, Outcome, Stage, Ticket, apply,
//!     stage_outcome,
//! };
//! let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
//! let category = Classifier::default_classifier().propose("小区电梯经常困人，物业不管");
//! let category = category.category().unwrap();
//! let catalogue = Catalogue::default_catalogue();
//! let unit = catalogue.route(category, None).unwrap();
//! assert_eq!((category, unit), ("special_equipment", "ZJFJ"));
//!
//! let t = apply(&Ticket::new(), &Event::Accept, Actor::System).unwrap();
//! let t = apply(&t, &Event::Dispatch { unit: unit.into() }, Actor::System).unwrap();
//! let t = apply(&t, &Event::Sign, Actor::Unit("ZJFJ")).unwrap();
//! assert_eq!(t.status.as_str(), "signed");
//!
//! // Dispatched on the last working day before the 2026 Spring Festival break.
//! let history = [
//!     Dated::new(day("2026-02-14"), EventKind::Dispatch),
//!     Dated::new(day("2026-02-24"), EventKind::Sign),
//! ];
//! let facts = ClockFacts::from_history(&history);
//! let limits = catalogue.category(category).unwrap().limits;
//! let cal = Calendar::official();
//! let sign = stage_outcome(&facts, &limits, Stage::Sign, Basis::Unit, &cal, day("2026-02-24"));
//! assert!(matches!(sign, Outcome::OnTime { .. }));
//! ```

pub mod calendar;
pub mod catalogue;
pub mod classify;
pub mod disputes;
pub mod figures;
pub mod import;
pub mod merge;
pub mod open311;
pub mod personal;
pub mod supervisors;
pub mod ticket;

#[cfg(test)]
mod tests;
