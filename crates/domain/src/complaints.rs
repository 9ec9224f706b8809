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

pub mod calendar;
pub mod catalogue;
pub mod classify;
pub mod disputes;
pub mod figures;
pub mod merge;
pub mod open311;
pub mod personal;
pub mod supervisors;
pub mod ticket;

#[cfg(test)]
mod tests;
