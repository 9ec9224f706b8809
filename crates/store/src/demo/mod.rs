//! Demo data: each module seeds a mid-campaign state through the same repositories the
//! pages use (declared as its schema's `demo`), so `qcity demo` is assembled from the module
//! list. Every seeding is skipped when its data is already there.

pub mod assessment;
pub mod indicators;
pub mod registers;
pub mod supervision;
