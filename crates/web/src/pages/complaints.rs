//! Quality complaints (issue 18, `docs/complaints.md`): the public's form and status page, the
//! hotline operators' entry, the office's and units' work queues and ticket page, the figures,
//! and Open311 (`crate::open311`). The rules are the domain's (`complaints::ticket::apply`),
//! the reads and writes the store's (`qcity_store::complaints`), per district.

mod desk;
mod districts;
mod figures;
mod import;
mod public;
mod registers;

use crate::i18n::Lang;
use crate::module::{Module, NavEntry};
use qcity_domain::complaints::catalogue::Catalogue;
use qcity_domain::complaints::ticket::{Outcome, Stage, Warning};
use qcity_domain::registry::CodeList;
use qcity_domain::role::Role;

/// The module's OpenAPI document: Open311 documents itself by its own standard.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub struct Doc;

pub static MODULE: Module = Module {
    slug: "complaints",
    schema: &qcity_store::complaints::SCHEMA,
    routes: |r| {
        let r = r.per_district(true);
        let r = public::routes(r);
        let r = desk::routes(r);
        let r = figures::routes(r);
        let r = districts::routes(r);
        let r = import::routes(r);
        let r = registers::routes(r);
        crate::open311::routes(r)
    },
    openapi: <Doc as utoipa::OpenApi>::openapi,
    nav: &[NavEntry {
        label: "nav-complaints",
        path: "/complaints",
        order: 55,
        shown_to: handles_tickets,
    }],
};

/// The office, the units and leaders work with tickets; evaluators do not read them.
fn handles_tickets(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Office | Role::Unit | Role::Leader))
}

/// A code's label in the page's language.
fn label<C: CodeList>(lang: Lang, c: C) -> String {
    c.label(lang.domain()).to_string()
}

/// A category's label from the district's catalogue; a code no longer in it stays as is, and
/// a ticket not classified yet says so.
fn category_label(lang: Lang, catalogue: &Catalogue, code: Option<&str>) -> String {
    match code {
        None => lang.t("cmp-category-none"),
        Some(c) => catalogue
            .category(c)
            .map(|cat| cat.label(lang.domain()).to_string())
            .unwrap_or_else(|| c.to_string()),
    }
}

/// A stage's outcome for people: "待办 · 2026-03-05", "逾期 · 2026-03-05", "按时 · 2026-03-04".
fn outcome_text(lang: Lang, o: Outcome) -> String {
    let (key, date) = match o {
        Outcome::NotStarted => ("cmp-outcome-not-started", None),
        Outcome::Paused => ("cmp-outcome-paused", None),
        Outcome::Pending { deadline } => ("cmp-outcome-pending", Some(deadline)),
        Outcome::Overdue { deadline } => ("cmp-outcome-overdue", Some(deadline)),
        Outcome::OnTime { on, .. } => ("cmp-outcome-on-time", Some(on)),
        Outcome::Late { on, .. } => ("cmp-outcome-late", Some(on)),
    };
    match date {
        Some(d) => format!("{} · {d}", lang.t(key)),
        None => lang.t(key),
    }
}

/// A stage's name.
fn stage_label(lang: Lang, s: Stage) -> String {
    lang.t(match s {
        Stage::Sign => "cmp-stage-sign",
        Stage::Reply => "cmp-stage-reply",
        Stage::Close => "cmp-stage-close",
    })
}

/// A warning as its badge: (css level, label).
fn warning_badge(lang: Lang, w: Option<Warning>) -> (String, String) {
    match w {
        None => (String::new(), String::new()),
        Some(w) => (
            w.level().to_string(),
            lang.t(&format!("cmp-warning-{}", w.level())),
        ),
    }
}
