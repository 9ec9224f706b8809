//! `qcity demo`: a database a newcomer can explore at once — the seed plan, one account per
//! role with its password printed once, and each demo unit's liaison filled in.

use anyhow::Result;
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::auth::random_password;
use qcity_store::units::{self, Contact};
use qcity_store::users::{self, NewUser};
use qcity_store::{Actor, Store};
use std::process::ExitCode;

/// (username, display name, role, unit code)
const ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("office", "强区办 王主任", Role::Office, Some("QQB")),
    ("zjfj", "区质监分局 李科长", Role::Unit, Some("ZJFJ")),
    ("nongwei", "区农委 张科长", Role::Unit, Some("NW")),
    ("cjj", "区城建局 赵科长", Role::Unit, Some("CJJ")),
    ("leader", "区长", Role::Leader, None),
    ("evaluator", "人大代表 陈代表", Role::Evaluator, None),
];

pub async fn run(store: &Store) -> Result<ExitCode> {
    crate::first_start::ensure_plan(store, date(DEMO_TODAY)).await?;
    let actor = Actor::system("demo");
    println!("演示数据 / demo accounts (passwords are shown once):");
    for (username, name, role, unit) in ACCOUNTS {
        // A unit code the plan does not have is left out rather than failing the whole demo.
        let unit = match unit {
            Some(code) if units::get(store, &actor, code).await.is_ok() => Some(code),
            _ => None,
        };
        account(store, &actor, username, name, *role, unit.copied()).await?;
        if let Some(code) = unit.copied()
            && *role == Role::Unit
        {
            units::update_contact(
                store,
                &actor,
                code,
                Contact {
                    name,
                    phone: "0371-6000000",
                    email: "",
                },
            )
            .await?;
        }
    }
    // Then each module's demo data, in the order of the module list.
    let ctx = qcity_store::schema::DemoCtx {
        today: date(DEMO_TODAY),
    };
    for seed in store.demos() {
        let summary = seed(store, &ctx).await?;
        if !summary.is_empty() {
            println!("{summary}");
        }
    }
    city(store, &actor).await?;
    println!("启动 / start: qcity --today {DEMO_TODAY} serve, then open http://127.0.0.1:8080/");
    Ok(ExitCode::SUCCESS)
}

/// Two more districts of the city (金水区 well ahead, 中原区 behind), each running the plan
/// with its own units and keeping its own registers (金水区's samples pass more often), an
/// office account for each and one for the city's leaders, so the district comparisons
/// (区县对比, 区县抽查对比) show a city at once; and the city's own plan with its office and
/// two districts' liaisons. A second run adds nothing.
async fn city(store: &Store, actor: &Actor) -> Result<()> {
    // (code, name, prefix, obligations closed in ten, division code, failed samples in 1000)
    const DISTRICTS: &[(&str, &str, &str, usize, &str, u64)] = &[
        ("JINSHUI", "金水区", "JS", 8, "410105", 30),
        ("ZHONGYUAN", "中原区", "ZY", 2, "410102", 140),
    ];
    let today = date(DEMO_TODAY);
    for (code, name, prefix, diligent, division, fail_per_thousand) in DISTRICTS {
        let spec = qcity_domain::plan::DistrictSpec {
            code: code.to_string(),
            name: name.to_string(),
            prefix: prefix.to_string(),
            plan_code: format!("{}-2014", code.to_lowercase()),
        };
        match qcity_store::plan::add_district(store, actor, &spec, today).await {
            Ok(_) => {}
            Err(qcity_store::StoreError::Invalid { code, .. })
                if code == "error-district-exists" => {}
            Err(e) => return Err(e.into()),
        }
        let closed =
            qcity_store::demo::supervision::district_progress(store, code, *diligent, today)
                .await?;
        if closed > 0 {
            println!("{name}: {closed} 项已销号 / obligations closed");
        }
        let sampled = qcity_store::demo::registers::district_registers(
            store,
            code,
            division,
            150,
            *fail_per_thousand,
            today,
        )
        .await?;
        if sampled > 0 {
            println!("{name}: {sampled} 批次监督抽查 / sampling records");
        }
        let residents = if *diligent > 5 { 1_650_000 } else { 950_000 };
        let tickets =
            qcity_store::complaints::demo::district(store, code, 150, residents, today).await?;
        if tickets > 0 {
            println!("{name}: {tickets} 件投诉工单 / complaint tickets");
        }
        let (ahead, checked) = (*diligent > 5, if *diligent > 5 { 300.0 } else { 120.0 });
        let values =
            qcity_store::demo::indicators::district_values(store, code, ahead, checked).await?;
        if values > 0 {
            println!("{name}: {values} 项指标值 / indicator values");
        }
    }
    // The city's own plan: its districts undertake every content; 惠济区 and 金水区 hand in what
    // is due, 中原区 nothing yet.
    match qcity_store::plan::add_city_plan(store, actor, "ZZ", today).await {
        Ok(_) => {}
        Err(qcity_store::StoreError::Invalid { code, .. }) if code == "error-city-plan-exists" => {}
        Err(e) => return Err(e.into()),
    }
    let closed = qcity_store::demo::supervision::district_progress(store, "ZZ", 2, today).await?;
    if closed > 0 {
        println!("郑州市工作方案: {closed} 项已销号 / city obligations closed");
    }
    let accounts: &[(&str, &str, Role, &str)] = &[
        ("jinshui", "金水区强区办", Role::Office, "JINSHUI"),
        ("zhongyuan", "中原区强区办", Role::Office, "ZHONGYUAN"),
        ("city", "市质量强市办 刘处长", Role::Leader, "ZZ"),
        ("cityoffice", "市质量强市办 孙科长", Role::Office, "ZZ"),
        ("huiji.ll", "惠济区 市级任务联络员", Role::Unit, "HUIJI"),
        ("jinshui.ll", "金水区 市级任务联络员", Role::Unit, "JINSHUI"),
    ];
    for (username, name, role, unit) in accounts {
        account(store, actor, username, name, *role, Some(unit)).await?;
    }
    Ok(())
}

/// Creates a demo account and prints its password once; one that exists keeps its password.
async fn account(
    store: &Store,
    actor: &Actor,
    username: &str,
    name: &str,
    role: Role,
    unit: Option<&str>,
) -> Result<()> {
    let password = random_password();
    match users::create(
        store,
        actor,
        NewUser {
            username,
            display_name: name,
            role,
            unit_code: unit,
            password: &password,
            must_change_password: false,
        },
    )
    .await
    {
        Ok(_) => println!("  {username:10} {:9} {password}  {name}", role.as_str()),
        Err(qcity_store::StoreError::Invalid { code, .. }) if code == "error-username-taken" => {
            println!("  {username:10} already exists (kept its password)")
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// The business date the demo's state is built for (mid-campaign, 推进落实阶段).
pub const DEMO_TODAY: &str = "2014-12-15";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}
