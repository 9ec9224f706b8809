//! QCity domain: pure types and rules. No IO, no async.

pub mod bulletin;
pub mod identifiers;
pub mod plan;
pub mod role;
pub mod target;
