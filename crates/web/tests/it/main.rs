//! The web crate's one integration-test binary: a real server per test, driven over HTTP.
//! Run on SQLite by default and on PostgreSQL with QCITY_TEST_PG set.

mod acceptance;
mod account;
mod api_assessment;
mod api_complete;
mod api_registers;
mod approvals;
mod assessment;
mod audit;
mod browser;
mod browser_lists;
mod browser_notices;
mod bulk;
mod connectors;
mod crawl;
mod errors;
mod exposure;
mod figures;
mod harness;
mod home;
mod import_queue;
mod indicators;
mod lists;
mod modules;
mod notices;
mod plan;
mod plan_preview;
mod portal;
mod registers;
mod registries;
mod reports;
mod scope;
mod supervision;
mod supervision_steps;
mod uploads;
