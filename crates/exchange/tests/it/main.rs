//! The exchange crate's one integration-test binary: office formats through the public API,
//! and through LibreOffice when it is installed.

mod bounded;
mod bulletin;
mod fuzz;
mod libreoffice;
mod plan;
mod registries;
mod values;
