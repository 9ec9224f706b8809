//! 各区县指标汇总: for each indicator of the plan, every district's approved value of a year
//! side by side and the city's, made by the rule of what the measure is
//! (`qcity_domain::indicator::rollup`): a rate from the summed numerators and denominators, a
//! count or total summed, a level weighted by population, anything else not summed, with the
//! reason. Also as a workbook.

use crate::AppState;
use crate::charts::trim_number;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use crate::view::rollup_download;
use crate::view::{PageCtx, render, require_plan, target_lang};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use qcity_domain::indicator::measures;
use qcity_domain::indicator::rollup::{self, CityFigure, Reported, Rule};
use qcity_domain::org::{Node, Ratio};
use qcity_domain::target;
use qcity_exchange::{RollupCell, RollupTable};
use qcity_store::indicators::{self, DistrictValue};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes(r: Routes) -> Routes {
    r.get("/indicators/districts", page)
        .get("/indicators/districts.xlsx", export)
        .get("/indicators/districts.docx", export)
}

#[derive(Deserialize, Default)]
struct YearQuery {
    #[serde(default)]
    year: String,
}

/// One district's cell.
struct Cell {
    /// As shown: "87.5%（35/40）", "3个", "—".
    text: String,
    /// The value in the measure's unit, for the workbook.
    value: Option<f64>,
}

/// One measure of one indicator across the districts.
struct Row {
    /// "PRD-2 主要农产品质量安全抽检合格率" (and the measure's name for a part).
    label: String,
    /// Row id on the page: the indicator's code and the measure's label.
    id: String,
    cells: Vec<Cell>,
    /// The city's figure as shown, or "不汇总".
    city: String,
    city_value: Option<f64>,
    /// How the city's figure is made, or why there is none.
    how: String,
    /// A rate in per cent (the workbook's first sheet).
    percent: bool,
}

struct Rollup {
    districts: Vec<Node>,
    year: Option<i64>,
    years: Vec<i64>,
    rows: Vec<Row>,
    /// Some measure is weighted by population, which the installation does not keep.
    no_population: bool,
}

async fn rollup(state: &AppState, ctx: &Ctx, asked: &str) -> Result<Rollup, AppError> {
    ctx.user()?;
    let (_, plan) = require_plan(state, ctx).await?;
    let indicators::ByDistrict {
        districts,
        years,
        year,
        values,
    } = indicators::by_district(
        &state.store,
        &ctx.actor(),
        &plan,
        ctx.today,
        asked.trim().parse::<i64>().ok(),
    )
    .await?;
    // (indicator, measure) → district → its value of the year.
    let mut of_year: BTreeMap<(&str, &str), BTreeMap<i64, &DistrictValue>> = BTreeMap::new();
    for v in values.iter().filter(|v| Some(v.year) == year) {
        of_year
            .entry((v.indicator.as_str(), v.measure.as_str()))
            .or_default()
            .insert(v.owner_id, v);
    }
    let names: BTreeMap<i64, &str> = districts.iter().map(|d| (d.id, d.name.as_str())).collect();
    let contents = indicators::content_targets(&plan);
    let mut rows = Vec::new();
    let mut no_population = false;
    for ind in plan.indicators.iter().chain(&contents) {
        let Ok(t) = ind.target.parsed() else {
            continue;
        };
        for m in measures(t) {
            let rule = rollup::rule(ind, &m);
            let got = of_year.get(&(ind.code.as_str(), m.label.as_str()));
            let reports: Vec<(i64, Option<Reported>)> = districts
                .iter()
                .map(|d| {
                    (
                        d.id,
                        got.and_then(|g| g.get(&d.id)).and_then(|v| reported(v)),
                    )
                })
                .collect();
            let cells = districts
                .iter()
                .map(|d| cell(ctx, &ind.unit, got.and_then(|g| g.get(&d.id)).copied()))
                .collect();
            let figure = rollup::city_figure(rule, &reports, None);
            // The installation keeps no population figures: say so wherever a measure needs them.
            no_population |= rule == Rule::PopulationWeighted;
            let (city, city_value, how) = city_text(ctx, &ind.unit, rule, &figure, &names);
            let mut label = format!("{} {}", ind.code, ind.name);
            if !m.name.is_empty() {
                label = format!("{label}：{}", m.name);
            }
            rows.push(Row {
                label,
                id: if m.label.is_empty() {
                    ind.code.clone()
                } else {
                    format!("{}-{}", ind.code, m.label)
                },
                cells,
                city,
                city_value,
                how,
                percent: rule == Rule::Rate { scale: 100.0 },
            });
        }
    }
    Ok(Rollup {
        districts,
        year,
        years,
        rows,
        no_population,
    })
}

/// What a district reported, as the rule reads it (a judgement has no number).
fn reported(v: &DistrictValue) -> Option<Reported> {
    let parts = match (v.numerator, v.denominator) {
        (Some(numerator), Some(denominator)) => Some(Ratio {
            numerator,
            denominator,
        }),
        _ => None,
    };
    v.value.map(|value| Reported { value, parts })
}

fn number(ctx: &Ctx, x: f64, unit: &str) -> String {
    target::with_unit(&trim_number(x), unit, target_lang(&ctx.page()))
}

fn cell(ctx: &Ctx, unit: &str, v: Option<&DistrictValue>) -> Cell {
    let Some(v) = v else {
        return Cell {
            text: "—".into(),
            value: None,
        };
    };
    let text = match (v.value, v.judged) {
        (Some(x), _) => {
            let mut t = number(ctx, x, unit);
            if let (Some(n), Some(d)) = (v.numerator, v.denominator) {
                t = format!("{t}（{}/{}）", trim_number(n), trim_number(d));
            }
            t
        }
        (None, Some(true)) => ctx.t("indr-judged-met"),
        (None, Some(false)) => ctx.t("indr-judged-not-met"),
        (None, None) => "—".into(),
    };
    Cell {
        text,
        value: v.value,
    }
}

fn district_names(ids: &[i64], names: &BTreeMap<i64, &str>) -> String {
    ids.iter()
        .filter_map(|id| names.get(id).copied())
        .collect::<Vec<_>>()
        .join("、")
}

/// The city's cell, its value, and the rule or the reason, in the page's language.
fn city_text(
    ctx: &Ctx,
    unit: &str,
    rule: Rule,
    figure: &CityFigure,
    names: &BTreeMap<i64, &str>,
) -> (String, Option<f64>, String) {
    let not_summed = ctx.t("indr-not-summed");
    let args = |key: &str, ids: &[i64]| {
        ctx.lang
            .t_args(key, &[("districts", district_names(ids, names))])
    };
    match figure {
        CityFigure::Value { value, parts } => {
            let mut text = number(ctx, *value, unit);
            if let Some(p) = parts {
                text = format!(
                    "{text}（{}/{}）",
                    trim_number(p.numerator),
                    trim_number(p.denominator)
                );
            }
            (text, Some(*value), rule_text(ctx, rule))
        }
        CityFigure::NotSummed { reason } => (not_summed, None, ctx.t(reason.key())),
        CityFigure::Missing { districts } => {
            (not_summed, None, args("indr-why-missing", districts))
        }
        CityFigure::NoParts { districts } if districts.is_empty() => {
            (not_summed, None, ctx.t("indr-why-nothing-counted"))
        }
        CityFigure::NoParts { districts } => {
            (not_summed, None, args("indr-why-no-parts", districts))
        }
        CityFigure::NoPopulation { .. } => (not_summed, None, ctx.t("indr-why-no-population")),
    }
}

fn rule_text(ctx: &Ctx, rule: Rule) -> String {
    ctx.t(match rule {
        Rule::Rate { .. } => "indr-rule-rate",
        Rule::Sum => "indr-rule-sum",
        Rule::PopulationWeighted => "indr-rule-population",
        Rule::NotSummed(_) => "indr-not-summed",
    })
}

#[derive(Template)]
#[template(path = "indicators_districts.html")]
struct RollupPage {
    ctx: PageCtx,
    r: Rollup,
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let r = rollup(&state, &ctx, &q.year).await?;
    Ok(render(&RollupPage { ctx: ctx.page(), r }))
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    uri: axum::http::Uri,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let r = rollup(&state, &ctx, &q.year).await?;
    let t = |k: &str| ctx.t(k);
    let year = r.year.map(|y| y.to_string()).unwrap_or_default();
    let mut header = vec![t("indr-indicator")];
    header.extend(r.districts.iter().map(|d| d.name.clone()));
    header.push(t("indr-city"));
    header.push(t("indr-how"));
    // Rates in per cent as numbers on the first sheet (its figure columns are percentages);
    // every other measure as written on the page on the second.
    let rates = r
        .rows
        .iter()
        .filter(|row| row.percent)
        .map(|row| {
            let mut cells = vec![RollupCell::Text(row.label.clone())];
            cells.extend(row.cells.iter().map(|c| RollupCell::Percent(c.value)));
            cells.push(match row.city_value {
                Some(v) => RollupCell::Percent(Some(v)),
                None => RollupCell::Text(row.city.clone()),
            });
            cells.push(RollupCell::Text(row.how.clone()));
            cells
        })
        .collect();
    let others = r
        .rows
        .iter()
        .filter(|row| !row.percent)
        .map(|row| {
            let mut cells = vec![RollupCell::Text(row.label.clone())];
            cells.extend(row.cells.iter().map(|c| RollupCell::Text(c.text.clone())));
            cells.push(RollupCell::Text(row.city.clone()));
            cells.push(RollupCell::Text(row.how.clone()));
            cells
        })
        .collect();
    let title = format!("{}（{year}）", t("indr-title"));
    let tables = [
        RollupTable {
            sheet_name: t("indr-sheet-rates"),
            title: format!("{title} · {}", t("indr-sheet-rates")),
            header: header.clone(),
            rows: rates,
        },
        RollupTable {
            sheet_name: t("indr-sheet-others"),
            title: format!("{title} · {}", t("indr-sheet-others")),
            header,
            rows: others,
        },
    ];
    rollup_download(
        &uri,
        &title,
        &tables,
        &format!("{}-{year}", t("indr-title")),
    )
}
