//! Demo data of the indicators module: several years of approved values.

use crate::Result;
use crate::{Actor, Store};
use qcity_domain::org::Ratio;

/// Several years of approved indicator values, most on course and some not (PM2.5 behind its
/// path, ammonia short of its cut, one product pass rate below target), so the dashboard has
/// every colour. Skipped when values exist.
pub async fn run(store: &Store) -> Result<String> {
    use crate::indicators::{self, NewValue};
    use qcity_domain::target::{Op, Target};
    let office = Actor::system("demo-office");
    if !indicators::history(store, &office, None).await?.is_empty() {
        return Ok("演示指标数据已存在 / demo indicator values already present".into());
    }
    let Some((_, plan)) = crate::plan::current(store).await? else {
        return Ok(String::new());
    };
    let mut n = 0;
    for (i, ind) in plan.indicators.iter().enumerate() {
        let Ok(t) = ind.target.parsed() else {
            continue;
        };
        let parts: Vec<(String, Target)> = match t {
            Target::All(ps) | Target::Any(ps) => ps
                .iter()
                .map(|p| (p.label.clone(), p.target.clone()))
                .collect(),
            other => vec![(String::new(), other.clone())],
        };
        // Every fifth indicator falls short, to show what off track looks like.
        let short = i % 5 == 2;
        for (label, part) in parts {
            let points: Vec<(i64, Option<f64>, Option<bool>)> = match &part {
                Target::Compare { op, value, .. } => {
                    let up = matches!(op, Op::Ge | Op::Gt | Op::Eq);
                    let gap = if *value >= 50.0 {
                        1.5
                    } else {
                        (value * 0.1).max(1.0)
                    };
                    let v = |k: f64| {
                        let off = if short {
                            -gap * k
                        } else {
                            gap * (2.0 - k) * 0.5
                        };
                        let x = if up { value + off } else { value - off };
                        Some(if ind.unit == "count" {
                            // A number of things is whole.
                            x.round().max(0.0)
                        } else if ind.unit == "%" || *value <= 100.0 {
                            x.clamp(0.0, 100.0)
                        } else {
                            x
                        })
                    };
                    vec![(2013, v(1.5), None), (2014, v(1.0), None)]
                }
                Target::Path { .. } => vec![(2013, Some(108.0), None), (2014, Some(104.0), None)],
                Target::Reduce {
                    percent,
                    baseline_year,
                } => {
                    let achieved = if short || label == "ammonia_nitrogen" || ind.code == "ENV-8" {
                        percent * 0.6
                    } else {
                        percent + 1.0
                    };
                    vec![
                        (i64::from(*baseline_year), Some(1000.0), None),
                        (2014, Some(1000.0 * (1.0 - achieved / 100.0)), None),
                    ]
                }
                Target::Eliminate => vec![
                    (2013, Some(2.0), None),
                    (2014, Some(if short { 1.0 } else { 0.0 }), None),
                ],
                Target::Qualitative { .. } | Target::Rank { .. } => {
                    vec![(2014, None, Some(!short))]
                }
                _ => vec![],
            };
            let percent = matches!(
                part,
                Target::Compare {
                    unit: Some(qcity_domain::target::Unit::Percent),
                    ..
                }
            );
            for (year, value, judged) in points {
                // A rate is entered by its counts (of 400 checked), so the city can sum them.
                let parts = value.filter(|_| percent).map(|x| counts(x, 400.0));
                let v = NewValue {
                    indicator: ind.code.clone(),
                    measure: label.clone(),
                    year,
                    value: if parts.is_some() { None } else { value },
                    judged,
                    comment: "演示数据".into(),
                    source: "manual".into(),
                };
                let rules = Default::default();
                if let Ok(id) =
                    indicators::submit_with_parts(store, &office, &plan, v, parts, &rules).await
                {
                    indicators::decide(store, &office, id, true, "").await?;
                    n += 1;
                }
            }
        }
    }
    // Two values a lead unit has just entered, waiting for the office's approval.
    let mut pending = 0;
    for ind in plan.indicators.iter().filter(|i| i.formula.is_none()) {
        if pending == 2 {
            break;
        }
        let lead = ind
            .contents
            .iter()
            .filter_map(|c| plan.content(c))
            .flat_map(|c| c.lead_units.iter())
            .find(|u| !u.is_empty());
        let Some(lead) = lead else { continue };
        let Ok(unit) = crate::units::get(store, &office, lead).await else {
            continue;
        };
        let actor = Actor {
            user_id: None,
            username: format!("demo:{}", unit.code),
            role: Some(qcity_domain::role::Role::Unit),
            unit_id: Some(unit.id),
            owner_id: None,
            ip: "local".into(),
            request_id: "demo".into(),
        };
        let Ok(t) = ind.target.parsed() else { continue };
        let value = match t {
            Target::Compare { value, .. } => Some(*value),
            _ => continue,
        };
        let v = NewValue {
            indicator: ind.code.clone(),
            measure: String::new(),
            year: 2014,
            value,
            judged: None,
            comment: "2014年度统计快报数据".into(),
            source: "manual".into(),
        };
        if indicators::submit(store, &actor, &plan, v, &Default::default())
            .await
            .is_ok()
        {
            pending += 1;
        }
    }
    for code in ["PRD-2", "ENV-6", "ENV-1"] {
        indicators::set_disclosed(store, &office, code, true).await?;
    }
    Ok(format!(
        "演示指标数据 / demo indicator values: {n} approved, {pending} awaiting approval"
    ))
}

/// The counts of a rate of `x` per cent out of `of`.
fn counts(x: f64, of: f64) -> Ratio {
    Ratio {
        numerator: (x / 100.0 * of).round(),
        denominator: of,
    }
}

/// 2014's rates and counts for another district of the demo city, approved by its office, so
/// the city's indicator figures (各区县指标汇总) sum three districts: a district that is
/// `ahead` meets its rate targets, one behind falls short; each checks `checked` batches, so
/// the city's rate differs from the mean of the districts'. Nothing when it has values.
pub async fn district_values(
    store: &Store,
    district_code: &str,
    ahead: bool,
    checked: f64,
) -> Result<usize> {
    use crate::indicators::{self, NewValue};
    use qcity_domain::target::{Target, Unit};
    let tree = crate::units::tree(store).await?;
    let Some(district) = tree.by_code(district_code).cloned() else {
        return Ok(0);
    };
    let office = Actor {
        role: Some(qcity_domain::role::Role::Office),
        unit_id: Some(district.id),
        owner_id: Some(district.id),
        ..Actor::system("demo-office")
    };
    if !indicators::history(store, &office, None).await?.is_empty() {
        return Ok(0);
    }
    let Some((_, plan)) = crate::plan::current_of_id(store, district.id).await? else {
        return Ok(0);
    };
    let mut n = 0;
    for ind in &plan.indicators {
        let Ok(Target::Compare {
            value,
            unit: Some(unit),
            ..
        }) = ind.target.parsed()
        else {
            continue;
        };
        let (value, parts) = match unit {
            Unit::Percent => {
                let x = if ahead { *value + 1.0 } else { *value - 4.0 };
                (None, Some(counts(x.clamp(0.0, 100.0), checked)))
            }
            Unit::Count => (Some(if ahead { *value + 1.0 } else { 0.0 }), None),
            _ => continue,
        };
        let v = NewValue {
            indicator: ind.code.clone(),
            measure: String::new(),
            year: 2014,
            value,
            judged: None,
            comment: "演示数据".into(),
            source: "manual".into(),
        };
        let rules = Default::default();
        if let Ok(id) = indicators::submit_with_parts(store, &office, &plan, v, parts, &rules).await
        {
            indicators::decide(store, &office, id, true, "").await?;
            n += 1;
        }
    }
    Ok(n)
}
