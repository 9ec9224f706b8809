//! Quality complaints and disputes (issue 18). The store layer is in place
//! (`qcity_store::complaints`); the pages, the Open311 endpoints and their routes come next.
//! The module is registered now so that its migrations run and its tables are backed up.

use crate::module::Module;

/// The module's OpenAPI document: empty until the Open311 endpoints exist.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub struct Doc;

pub static MODULE: Module = Module {
    slug: "complaints",
    schema: &qcity_store::complaints::SCHEMA,
    routes: |r| crate::open311::routes(r.per_district(true)),
    openapi: <Doc as utoipa::OpenApi>::openapi,
    nav: &[],
};
