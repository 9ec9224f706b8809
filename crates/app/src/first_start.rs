//! What a new installation needs before its first use: the default plan and the office's
//! first account.

use anyhow::Result;
use qcity_domain::role::Role;
use qcity_store::auth::random_password;
use qcity_store::users::{self, NewUser};
use qcity_store::{Actor, Store};

/// On a database without a plan, loads the embedded default plan (the Huiji 2014 plan) as version 1.
pub async fn ensure_plan(store: &Store, today: chrono::NaiveDate) -> Result<()> {
    if qcity_store::plan::current_version(store).await? > 0 {
        return Ok(());
    }
    let plan = qcity_domain::plan::default_plan();
    let imported = qcity_store::plan::import(
        store,
        &Actor::system("first-start"),
        &plan,
        "default",
        "huiji-2014.toml",
        today,
    )
    .await?;
    println!(
        "已载入默认工作方案 / loaded the default plan: {} (version {})",
        plan.plan.title, imported.version
    );
    Ok(())
}

/// On an empty database, creates `admin` with a random one-time password printed once.
pub async fn ensure_first_admin(store: &Store) -> Result<()> {
    if users::count(store).await? > 0 {
        return Ok(());
    }
    let password = random_password();
    users::create(
        store,
        &Actor::system("first-start"),
        NewUser {
            username: "admin",
            display_name: "强区办管理员",
            role: Role::Office,
            unit_code: None,
            password: &password,
            must_change_password: true,
        },
    )
    .await?;
    println!("────────────────────────────────────────────────────────");
    println!("首次启动：已创建管理员账号 / first start: created the office account");
    println!("  用户名 username: admin");
    println!("  一次性密码 one-time password: {password}");
    println!("首次登录后须修改密码；此密码不会再次显示。");
    println!("You must change it at first sign-in; it is not shown again.");
    println!("────────────────────────────────────────────────────────");
    Ok(())
}
