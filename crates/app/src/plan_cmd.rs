//! `qcity plan validate | export | import`: the plan file and its Excel twin from the terminal.

use anyhow::{Context, Result, bail};
use qcity_domain::plan::{Diagnostic, Plan, PlanDiff, Severity, default_plan};
use qcity_domain::target::Lang;
use qcity_store::{Actor, Store};
use std::path::Path;
use std::process::ExitCode;

use qcity_exchange::{is_xlsx, read_plan};

fn print_diagnostics(file: &Path, diags: &[Diagnostic]) {
    for d in diags {
        let level = match d.severity {
            Severity::Error => "错误 error",
            Severity::Warning => "警告 warning",
        };
        let line = d.line.map(|l| format!(":{l}")).unwrap_or_default();
        println!(
            "{}{line}: {level}: {}: {} / {}",
            file.display(),
            d.path,
            d.message(Lang::ZhCn),
            d.message(Lang::En)
        );
    }
}

pub fn print_diff(d: &PlanDiff) {
    for c in &d.added {
        println!("+ {} {} {}", c.kind, c.code, c.new.as_deref().unwrap_or(""));
    }
    for c in &d.removed {
        println!("- {} {} {}", c.kind, c.code, c.old.as_deref().unwrap_or(""));
    }
    for c in &d.changed {
        println!(
            "~ {} {} {}: {} → {}",
            c.kind,
            c.code,
            c.field.as_deref().unwrap_or(""),
            c.old.as_deref().unwrap_or("∅"),
            c.new.as_deref().unwrap_or("∅")
        );
    }
    println!(
        "{} added, {} removed, {} changed",
        d.added.len(),
        d.removed.len(),
        d.changed.len()
    );
}

pub fn validate(file: &Path) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let measures = qcity_store::schema::measures(&qcity_web::modules::schema());
    match read_plan(&bytes, &default_plan(), &measures) {
        Ok((plan, warnings)) => {
            print_diagnostics(file, &warnings);
            println!(
                "方案有效 / plan is valid: {} units, {} phases, {} indicators, {} tasks, {} categories, {} items, {} contents ({} warnings)",
                plan.units.len(),
                plan.phases.len(),
                plan.indicators.len(),
                plan.tasks.len(),
                plan.categories.len(),
                plan.categories.iter().map(|c| c.items.len()).sum::<usize>(),
                plan.contents().count(),
                warnings.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(diags) => {
            print_diagnostics(file, &diags);
            let errors = diags.iter().filter(|d| d.is_error()).count();
            println!("方案无效 / plan is invalid: {errors} errors");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The plan the database holds now, or the embedded default when none was loaded yet.
pub async fn current_or_default(store: &Store) -> Result<Plan> {
    Ok(match qcity_store::plan::current(store).await? {
        Some((_, p)) => p,
        None => default_plan(),
    })
}

pub fn render(plan: &Plan, format: &str) -> Result<Vec<u8>> {
    Ok(match format {
        "json" => {
            let mut v = serde_json::to_vec_pretty(&plan.export())?;
            v.push(b'\n');
            v
        }
        "toml" => plan.to_toml().into_bytes(),
        "xlsx" => qcity_exchange::plan_to_xlsx(plan).map_err(|e| anyhow::anyhow!("{e}"))?,
        other => bail!("unknown format `{other}`: use json, xlsx or toml"),
    })
}

pub async fn import(store: &Store, file: &Path, today: chrono::NaiveDate) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let base = current_or_default(store).await?;
    let (plan, warnings) = match read_plan(&bytes, &base, &store.measures()) {
        Ok(x) => x,
        Err(diags) => {
            print_diagnostics(file, &diags);
            println!("未导入 / not imported: the file has errors; nothing was changed");
            return Ok(ExitCode::FAILURE);
        }
    };
    print_diagnostics(file, &warnings);
    let format = if is_xlsx(&bytes) { "xlsx" } else { "toml" };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let imported = qcity_store::plan::import(
        store,
        &Actor::system("plan-import"),
        &plan,
        format,
        &name,
        today,
    )
    .await?;
    if imported.created {
        println!(
            "已导入为第 {} 版 / imported as version {}",
            imported.version, imported.version
        );
        print_diff(&imported.diff);
    } else {
        println!(
            "与当前第 {} 版相同，未建立新版本 / identical to version {}: no new version",
            imported.version, imported.version
        );
    }
    Ok(ExitCode::SUCCESS)
}
