//! A plan taken over by another district of the same city: the city issues one template and
//! each district runs it with its own member units. The district unit is renamed, every unit
//! of the district gets the district's code prefix (codes are unique across the city), and
//! every duty follows its unit; contents, indicators and deadlines are kept.
//!
//! The city's own plan comes from the same template ([`Plan::for_city`]): the city is the
//! plan's owner and its districts are the units that take the duties, so the supervision
//! machinery (obligations, reports with evidence, review, reminders, escalation) runs one
//! level up unchanged.

use super::model::{Plan, Unit, UnitKind};

/// The note a city's plan made from the template carries (its Chinese is in the notes
/// catalogue).
pub const CITY_PLAN_NOTE: &str = "A city's own plan made from the district plan template: the city office leads and every district of the city undertakes every content, with the template's contents, indicators and deadlines. The city office exports it, edits it and imports it again like any plan.";

/// A city's own plan: its districts (code, name as the plan writes it, `金水区人民政府`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitySpec {
    /// The plan's code (`zhengzhou-2014`).
    pub plan_code: String,
    pub districts: Vec<(String, String)>,
}

/// The district that takes the plan over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictSpec {
    /// The district's unit code, uppercase letters (`JINSHUI`).
    pub code: String,
    /// Its short name (`金水区`).
    pub name: String,
    /// The prefix of its member units' codes, uppercase letters (`JS`: `ZJFJ` → `JSZJFJ`).
    pub prefix: String,
    /// The plan's code (`jinshui-2014`).
    pub plan_code: String,
}

/// Why a plan cannot be taken over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstantiateError {
    #[error("the district code and unit prefix must be uppercase letters A–Z")]
    BadCode,
    #[error("the district name must not be empty")]
    NoName,
    #[error("the template names no district unit")]
    NoDistrict,
    #[error("the template names no city unit")]
    NoCity,
    #[error("a city plan needs at least one district")]
    NoDistricts,
}

/// Replaces `from` by `to` in the plan's texts (the guiding ideas and goal, phase steps,
/// indicators, tasks, measures and the decomposition table), so a district's name in the
/// template's wording follows the plan to its new owner.
fn rename_in_texts(plan: &mut Plan, from: &str, to: &str) {
    let r = |s: &mut String| {
        if s.contains(from) {
            *s = s.replace(from, to);
        }
    };
    r(&mut plan.plan.guiding_ideology);
    r(&mut plan.plan.overall_goal);
    for p in &mut plan.phases {
        p.steps.iter_mut().for_each(r);
    }
    for i in &mut plan.indicators {
        r(&mut i.text);
    }
    for t in &mut plan.tasks {
        r(&mut t.title);
        r(&mut t.text);
    }
    for m in &mut plan.measures {
        r(&mut m.title);
        r(&mut m.text);
    }
    for cat in &mut plan.categories {
        r(&mut cat.title);
        for item in &mut cat.items {
            r(&mut item.title);
            for c in &mut item.contents {
                r(&mut c.text);
            }
        }
    }
}

impl Plan {
    /// This plan as `spec`'s district runs it. The template's district name (惠济区) is
    /// replaced by the new one in the plan's title, issuer and the district unit's name.
    pub fn for_district(&self, spec: &DistrictSpec) -> Result<Plan, InstantiateError> {
        let upper = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase());
        if !upper(&spec.code) || !upper(&spec.prefix) {
            return Err(InstantiateError::BadCode);
        }
        let new_name = spec.name.trim();
        if new_name.is_empty() {
            return Err(InstantiateError::NoName);
        }
        let district = self
            .units
            .iter()
            .find(|u| u.kind == UnitKind::District)
            .ok_or(InstantiateError::NoDistrict)?;
        let old_code = district.code.clone();
        // "惠济区人民政府" → "惠济区": the name the plan's texts use for the district.
        let old_name = district
            .name
            .split("人民政府")
            .next()
            .unwrap_or(&district.name)
            .to_string();
        let rename = |code: &str| -> String {
            if code == old_code {
                spec.code.clone()
            } else if self
                .units
                .iter()
                .any(|u| u.code == code && u.kind == UnitKind::City)
            {
                code.to_string()
            } else {
                format!("{}{code}", spec.prefix)
            }
        };
        let mut plan = self.clone();
        plan.plan.code = spec.plan_code.clone();
        plan.plan.title = plan.plan.title.replace(&old_name, new_name);
        plan.plan.issuer = plan.plan.issuer.replace(&old_name, new_name);
        plan.plan.owner = plan.plan.owner.as_deref().map(rename);
        rename_in_texts(&mut plan, &old_name, new_name);
        for u in &mut plan.units {
            if u.code == old_code {
                u.name = u.name.replace(&old_name, new_name);
            }
            u.code = rename(&u.code);
            u.parent = u.parent.as_deref().map(rename);
        }
        for cat in &mut plan.categories {
            for item in &mut cat.items {
                for c in &mut item.contents {
                    for u in c
                        .lead_units
                        .iter_mut()
                        .chain(c.undertaking_units.iter_mut())
                    {
                        *u = rename(u);
                    }
                }
            }
        }
        Ok(plan)
    }
}

impl Plan {
    /// The city's own plan from this district template: owned by the template's city, with
    /// `spec`'s districts as its units, each undertaking every content; the district's name is
    /// taken out of the title and the issuer becomes the city's.
    pub fn for_city(&self, spec: &CitySpec) -> Result<Plan, InstantiateError> {
        let upper = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase());
        if spec.districts.iter().any(|(code, _)| !upper(code)) {
            return Err(InstantiateError::BadCode);
        }
        if spec.districts.is_empty() {
            return Err(InstantiateError::NoDistricts);
        }
        let city = self
            .units
            .iter()
            .find(|u| u.kind == UnitKind::City)
            .ok_or(InstantiateError::NoCity)?;
        let district = self
            .units
            .iter()
            .find(|u| u.kind == UnitKind::District)
            .ok_or(InstantiateError::NoDistrict)?;
        let short = |name: &str| name.split("人民政府").next().unwrap_or(name).to_string();
        let district_name = short(&district.name);
        let city_name = short(&city.name);
        let mut plan = self.clone();
        plan.plan.code = spec.plan_code.clone();
        plan.plan.title = plan.plan.title.replace(&district_name, "");
        plan.plan.issuer = format!("{city_name}人民政府");
        plan.plan.owner = Some(city.code.clone());
        plan.plan.notes = vec![CITY_PLAN_NOTE.to_string()];
        // The template's "惠济区…" is each district's in the city's plan.
        rename_in_texts(&mut plan, &district_name, "各区县");
        let mut units = vec![Unit {
            parent: None,
            registers: Vec::new(),
            notes: Vec::new(),
            ..city.clone()
        }];
        for (code, name) in &spec.districts {
            if name.trim().is_empty() {
                return Err(InstantiateError::NoName);
            }
            units.push(Unit {
                code: code.clone(),
                name: name.trim().to_string(),
                kind: UnitKind::District,
                parent: Some(city.code.clone()),
                registers: Vec::new(),
                notes: Vec::new(),
            });
        }
        plan.units = units;
        let districts: Vec<String> = spec.districts.iter().map(|(c, _)| c.clone()).collect();
        for cat in &mut plan.categories {
            for item in &mut cat.items {
                for c in &mut item.contents {
                    // The city office leads (and consolidates); each district undertakes
                    // its share and reports on it, apart from the others.
                    c.lead_units = Vec::new();
                    c.undertaking_units = districts.clone();
                }
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::default_plan;

    fn jinshui() -> DistrictSpec {
        DistrictSpec {
            code: "JINSHUI".into(),
            name: "金水区".into(),
            prefix: "JS".into(),
            plan_code: "jinshui-2014".into(),
        }
    }

    #[test]
    fn a_district_takes_the_template_over_with_its_own_units() {
        let template = default_plan();
        let plan = template.for_district(&jinshui()).unwrap();
        // Still a valid plan, with the same contents and deadlines.
        let problems = plan.validate(None);
        assert!(!crate::plan::has_errors(&problems), "{problems:#?}");
        assert_eq!(plan.contents().count(), template.contents().count());
        assert_eq!(
            plan.plan.title,
            "郑州市创建全国质量强市示范城市金水区工作方案"
        );
        let district = plan.units.iter().find(|u| u.code == "JINSHUI").unwrap();
        assert_eq!(district.name, "金水区人民政府");
        assert_eq!(district.parent.as_deref(), Some("ZZ"));
        assert!(
            plan.units.iter().any(|u| u.code == "ZZ"),
            "the city is shared"
        );
        assert!(
            plan.contents().any(|(_, _, c)| c.text.contains("金水区"))
                && plan.contents().all(|(_, _, c)| !c.text.contains("惠济区")),
            "the district's name in the texts is the new district's"
        );
        let zj = plan.units.iter().find(|u| u.code == "JSZJFJ").unwrap();
        assert_eq!(zj.parent.as_deref(), Some("JINSHUI"));
        // No duty is left with a unit of the template's district.
        let template_codes: Vec<_> = template
            .units
            .iter()
            .filter(|u| u.kind != UnitKind::City)
            .map(|u| u.code.clone())
            .collect();
        for (_, _, c) in plan.contents() {
            for u in c.lead_units.iter().chain(&c.undertaking_units) {
                assert!(!template_codes.contains(u), "{} keeps {u}", c.code);
            }
        }
    }

    #[test]
    fn a_city_plan_gives_every_content_to_each_of_its_districts() {
        let template = default_plan();
        let spec = CitySpec {
            plan_code: "zhengzhou-2014".into(),
            districts: vec![
                ("HUIJI".into(), "惠济区人民政府".into()),
                ("JINSHUI".into(), "金水区人民政府".into()),
            ],
        };
        let plan = template.for_city(&spec).unwrap();
        let problems = plan.validate(None);
        assert!(!crate::plan::has_errors(&problems), "{problems:#?}");
        assert_eq!(plan.owner().map(|u| u.code.as_str()), Some("ZZ"));
        assert_eq!(plan.plan.title, "郑州市创建全国质量强市示范城市工作方案");
        assert_eq!(plan.plan.issuer, "郑州市人民政府");
        assert_eq!(plan.units.len(), 3);
        assert_eq!(plan.contents().count(), template.contents().count());
        assert!(
            plan.contents().all(|(_, _, c)| !c.text.contains("惠济区")),
            "the template's district is each district in the city's texts"
        );
        for (_, _, c) in plan.contents() {
            assert_eq!(c.undertaking_units, ["HUIJI", "JINSHUI"], "{}", c.code);
            assert!(c.lead_units.is_empty());
        }
        // The owner survives the plan file.
        let back = Plan::from_toml(&plan.to_toml()).unwrap();
        assert_eq!(back, plan);
        // An owner that is not a city or district of the plan is an error.
        let mut bad = plan.clone();
        bad.plan.owner = Some("NOBODY".into());
        assert!(crate::plan::has_errors(&bad.validate(None)));
        let empty = CitySpec {
            districts: vec![],
            ..spec
        };
        assert_eq!(
            template.for_city(&empty),
            Err(InstantiateError::NoDistricts)
        );
    }

    #[test]
    fn bad_specs_are_refused() {
        let template = default_plan();
        let mut bad = jinshui();
        bad.prefix = "js".into();
        assert_eq!(template.for_district(&bad), Err(InstantiateError::BadCode));
        let mut bad = jinshui();
        bad.name = " ".into();
        assert_eq!(template.for_district(&bad), Err(InstantiateError::NoName));
    }
}
