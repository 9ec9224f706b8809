//! The plan model: a campaign plan held as data (`docs/plan-format.md`).
//!
//! A plan is read from a TOML plan file ([`Plan::from_toml`]), checked
//! ([`Plan::validate`]), written back in canonical form ([`Plan::to_toml`]),
//! exported as JSON ([`Plan::export`]) and compared ([`diff`]).
//!
//! ```
//! use qcity_domain::plan::default_plan;
//! let plan = default_plan();
//! assert_eq!(plan.contents().count(), 91);
//! ```

mod deadline;
mod diagnostic;
mod diff;
mod export;
mod instantiate;
mod load;
mod model;
mod notes;
mod validate;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

pub use deadline::{Deadline, Every, Period};
pub use diagnostic::{Diagnostic, Severity, has_errors};
pub use diff::{Change, PlanDiff, Value as ChangedValue, diff};
pub use export::{
    CategoryExport, ContentExport, IndicatorExport, ItemExport, PlanExport, explain_target,
};
pub use instantiate::{CITY_PLAN_NOTE, CitySpec, DistrictSpec, InstantiateError};
pub use model::{
    Category, Content, INHERITABLE_FIELDS, Indicator, IndicatorArea, Item, Measure, Phase, Plan,
    PlanMeta, Register, Task, TaskGroup, Unit, UnitKind,
};
pub use notes::{DEFAULT_NOTES_ZH_TOML, note_in, note_original, notes_in};

/// The default plan file: Huiji District's 2014 work plan (惠政〔2014〕4号).
pub const DEFAULT_PLAN_TOML: &str = include_str!("../../plan/huiji-2014.toml");

static DEFAULT_PLAN: LazyLock<Plan> = LazyLock::new(|| match Plan::from_toml(DEFAULT_PLAN_TOML) {
    Ok(plan) => plan,
    // The embedded file is fixed at build time; the test
    // `default_plan_loads_without_errors` proves this arm is never taken.
    Err(diagnostics) => panic!("the embedded default plan does not load: {diagnostics:?}"),
});

/// The default plan, parsed from [`DEFAULT_PLAN_TOML`].
pub fn default_plan() -> Plan {
    DEFAULT_PLAN.clone()
}

impl Plan {
    /// Reads a plan file: TOML syntax and the shape of every table (missing
    /// or unknown fields, wrong types, malformed dates). Errors carry the
    /// line. Semantic checks are [`Plan::validate`]; [`Plan::load`] runs both.
    pub fn from_toml(src: &str) -> Result<Plan, Vec<Diagnostic>> {
        load::from_toml(src)
    }

    /// Reads and validates a plan file: `Ok` with the warnings when there is
    /// no error, `Err` with every diagnostic otherwise.
    pub fn load(src: &str) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
        let plan = Plan::from_toml(src)?;
        let diagnostics = plan.validate(Some(src));
        if has_errors(&diagnostics) {
            Err(diagnostics)
        } else {
            Ok((plan, diagnostics))
        }
    }

    /// Semantic checks (references, duplicates, targets, deadlines). With
    /// the source text, each diagnostic gets the line of the element it
    /// concerns.
    pub fn validate(&self, src: Option<&str>) -> Vec<Diagnostic> {
        validate::validate(self, src)
    }

    /// Checks every indicator's formula against the measures the installed registries offer:
    /// an unknown measure or parameter is an error at its field (and line, with the source).
    pub fn check_formulas(
        &self,
        src: Option<&str>,
        catalogue: &[&crate::formula::Measure],
    ) -> Vec<Diagnostic> {
        let mut out = crate::formula::check_plan(self, catalogue);
        if let Some(src) = src {
            let map = diagnostic::SourceMap::new(src);
            for d in &mut out {
                d.line = map.line(&d.path);
            }
        }
        out
    }

    /// The canonical plan file text; `from_toml(to_toml(p)) == p`.
    pub fn to_toml(&self) -> String {
        load::to_toml(self)
    }

    /// The JSON shape for the API.
    pub fn export(&self) -> PlanExport {
        export::export(self)
    }

    /// The unit with this code.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }

    /// The org unit whose plan this is: the one `plan.owner` names (a city's own plan names
    /// its city), else its district, else its city.
    pub fn owner(&self) -> Option<&Unit> {
        if let Some(code) = &self.plan.owner {
            return self.unit(code);
        }
        self.units
            .iter()
            .find(|u| u.kind == UnitKind::District)
            .or_else(|| self.units.iter().find(|u| u.kind == UnitKind::City))
    }

    /// The unit with this name (names are unique in a valid plan).
    pub fn unit_by_name(&self, name: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.name == name)
    }

    /// The indicator with this code.
    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.code == code)
    }

    /// The main task with this code.
    pub fn task(&self, code: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.code == code)
    }

    /// The target item with this code.
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.categories
            .iter()
            .flat_map(|c| &c.items)
            .find(|i| i.code == code)
    }

    /// The target content with this code.
    pub fn content(&self, code: &str) -> Option<&Content> {
        self.contents().map(|(_, _, c)| c).find(|c| c.code == code)
    }

    /// Every content with its item and category, in table order.
    pub fn contents(&self) -> impl Iterator<Item = (&Category, &Item, &Content)> {
        self.categories.iter().flat_map(|cat| {
            cat.items
                .iter()
                .flat_map(move |item| item.contents.iter().map(move |c| (cat, item, c)))
        })
    }

    /// Contents that `unit` leads, in table order.
    ///
    /// A content whose lead units include a `group` unit (`ALL`, 各成员单位)
    /// counts for every unit of kind `member`, not for offices, external
    /// bodies or the district itself. Asking for the group's own code gives
    /// the contents that name the group.
    pub fn contents_led_by(&self, unit: &str) -> Vec<&Content> {
        self.contents()
            .map(|(_, _, c)| c)
            .filter(|c| c.lead_units.iter().any(|l| self.covers(l, unit)))
            .collect()
    }

    /// Contents that `unit` undertakes, in table order; `ALL` counts as in
    /// [`Plan::contents_led_by`].
    pub fn contents_supported_by(&self, unit: &str) -> Vec<&Content> {
        self.contents()
            .map(|(_, _, c)| c)
            .filter(|c| c.undertaking_units.iter().any(|l| self.covers(l, unit)))
            .collect()
    }

    /// Whether a listed unit code stands for `unit`: itself, or a group
    /// standing for every member unit.
    fn covers(&self, listed: &str, unit: &str) -> bool {
        if listed == unit {
            return true;
        }
        let is_group = self.unit(listed).is_some_and(|u| u.kind == UnitKind::Group);
        let is_member = self.unit(unit).is_some_and(|u| u.kind == UnitKind::Member);
        is_group && is_member
    }
}
