//! QCity domain: pure types and rules. No IO, no async.

pub mod acceptance;
pub mod approval;
pub mod assessment;
pub mod bulletin;
pub mod complaints;
pub mod credit;
pub mod formula;
pub mod identifiers;
pub mod indicator;
pub mod org;
pub mod plan;
pub mod registry;
pub mod role;
pub mod rules;
pub mod search;
pub mod supervision;
pub mod target;
