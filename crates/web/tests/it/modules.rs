//! The app is assembled from the module list: these checks keep the assembled lists complete
//! (every table backed up, every API route documented, every navigation link a page of its
//! module) so that a new module cannot silently drop out of one of them.

use crate::harness::TestApp;
use axum::http::Method;
use qcity_store::schema::{self, Keep};
use qcity_web::modules::{self, MODULES};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

#[test]
fn slugs_jobs_migrations_and_tables_are_claimed_once() {
    let schemas = modules::schema();
    assert_eq!(schema::problems(&schemas), Vec::<String>::new());
    for m in MODULES {
        assert_eq!(
            m.slug, m.schema.slug,
            "a module and its schema share the slug"
        );
    }
    let versions: Vec<i64> = schema::migrations(&schemas)
        .iter()
        .map(|m| m.version)
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    assert_eq!(
        versions.first(),
        Some(&1),
        "the core's migration comes first"
    );
}

#[test]
fn every_navigation_link_is_a_page_of_its_own_module() {
    let config = Arc::new(qcity_web::Config::default());
    for m in MODULES {
        let routes = (m.routes)(qcity_web::module::Routes::new(config.clone()));
        for entry in m.nav {
            assert!(
                routes
                    .infos()
                    .iter()
                    .any(|r| r.method == Method::GET && r.path == entry.path),
                "{}: navigation link {} is not one of its GET pages",
                m.slug,
                entry.path
            );
        }
    }
}

#[test]
fn every_api_route_is_documented_and_every_documented_operation_routed() {
    let (_, routes) = modules::routes(Arc::new(qcity_web::Config::default()));
    let routed: BTreeSet<(String, String)> = routes
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
        .map(|r| (r.method.as_str().to_lowercase(), r.path.to_string()))
        .collect();
    let doc = serde_json::to_value(modules::openapi()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes without an operation: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "operations without a route: {unrouted:?}"
    );
    assert!(
        routed.len() > 20,
        "too few API routes found: {}",
        routed.len()
    );
}

/// The OpenAPI document says exactly what the API takes and answers (issue 14, defect 9): path
/// parameters are the path's placeholders and nothing else (filters are query parameters),
/// every operation documents 401 and 403, one taking parameters or a body documents 422, one
/// taking a body documents 413 and its schema, every error answer is an `ErrorDto`, and no two
/// modules' schemas share a name (a merge would keep only one of them).
#[test]
fn the_openapi_document_is_exact() {
    let doc = serde_json::to_value(modules::openapi()).unwrap();
    let mut ops = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let placeholders: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(String::from)
            .collect();
        for (method, op) in item.as_object().unwrap() {
            ops += 1;
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let in_path: BTreeSet<String> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                in_path, placeholders,
                "{method} {path}: path parameters must be the path's placeholders (filters are query parameters)"
            );
            for p in &params {
                assert!(
                    p["schema"]["type"].is_string() || p["schema"]["type"].is_array(),
                    "{method} {path}: parameter {} has no type",
                    p["name"]
                );
            }
            let responses = op["responses"].as_object().unwrap();
            for code in ["401", "403"] {
                assert!(
                    responses.contains_key(code),
                    "{method} {path}: {code} undocumented"
                );
            }
            let body = &op["requestBody"];
            if !params.is_empty() || body.is_object() {
                assert!(
                    responses.contains_key("422"),
                    "{method} {path}: 422 undocumented"
                );
            }
            if body.is_object() {
                assert!(
                    responses.contains_key("413"),
                    "{method} {path}: 413 undocumented"
                );
                // JSON, or a multipart form for file uploads (streamed to disk, not base64).
                assert!(
                    body["content"]["application/json"]["schema"].is_object()
                        || body["content"]["multipart/form-data"]["schema"].is_object(),
                    "{method} {path}: request body without a schema"
                );
            }
            for (code, r) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorDto",
                        "{method} {path}: {code} is not an ErrorDto"
                    );
                }
            }
        }
    }
    assert!(ops > 40, "too few operations: {ops}");
    let merged = &doc["components"]["schemas"];
    for m in modules::MODULES {
        let own = serde_json::to_value((m.openapi)()).unwrap();
        if let Some(schemas) = own["components"]["schemas"].as_object() {
            for (name, schema) in schemas {
                assert_eq!(
                    &merged[name], schema,
                    "{}: schema {name} is shadowed by another module's of the same name",
                    m.slug
                );
            }
        }
    }
}

#[test]
fn no_route_is_declared_twice_and_routes_that_take_files_have_their_own_limit() {
    use qcity_web::module::BodyLimit;
    let (_, routes) = modules::routes(Arc::new(qcity_web::Config::default()));
    let mut seen = HashMap::new();
    for r in &routes {
        assert!(
            seen.insert((r.method.clone(), r.path), ()).is_none(),
            "{} {} is declared twice",
            r.method,
            r.path
        );
    }
    let limit = |path: &str| {
        routes
            .iter()
            .find(|r| r.method == Method::POST && r.path == path)
            .map(|r| r.limit)
    };
    assert_eq!(
        limit("/indicator-values/{id}/files"),
        Some(BodyLimit::Evidence)
    );
    assert_eq!(
        limit("/obligations/{id}/reports"),
        Some(BodyLimit::Evidence)
    );
    assert_eq!(limit("/sampling/import"), Some(BodyLimit::Import));
    assert_eq!(limit("/login"), Some(BodyLimit::Form));
}

/// The tables of a migrated database, read from the database's own catalogue. SQLite's
/// full-text index (a virtual table and its shadow tables) is not counted: it is rebuilt from
/// the enterprises' search column, which backups keep.
async fn database_tables(store: &qcity_store::Store) -> BTreeSet<String> {
    let sql = match store.backend {
        qcity_store::Backend::Sqlite => {
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        qcity_store::Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    sqlx::query(sql)
        .fetch_all(&store.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("name").unwrap())
        .collect()
}

#[tokio::test]
async fn the_modules_own_exactly_the_tables_of_the_schema_and_backups_keep_all_but_the_transient() {
    let app = TestApp::spawn().await;
    let schemas = modules::schema();
    let declared: BTreeSet<String> = schema::tables(&schemas)
        .map(|t| t.name.to_string())
        .collect();
    let actual = database_tables(&app.store).await;
    let undeclared: Vec<_> = actual.difference(&declared).collect();
    let missing: Vec<_> = declared.difference(&actual).collect();
    assert!(
        undeclared.is_empty(),
        "tables no module declares (so no backup keeps them): {undeclared:?}"
    );
    assert!(
        missing.is_empty(),
        "declared tables the migrations do not create: {missing:?}"
    );

    // A backup names every kept table in its header summary and holds rows of the ones that
    // have any; the transient ones never appear.
    let mut out = Vec::new();
    let summary = qcity_store::backup::backup(&app.store, &mut out)
        .await
        .unwrap();
    let kept: Vec<_> = schema::tables(&schemas)
        .filter(|t| t.keep != Keep::Never)
        .collect();
    assert_eq!(summary.tables, kept.len());
    let text = String::from_utf8(out).unwrap();
    let in_backup: BTreeSet<String> = text
        .lines()
        .skip(1)
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["table"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for t in ["org_units", "users", "audit_log", "schema_migrations"] {
        assert!(
            in_backup.contains(t),
            "{t} has rows but is not in the backup"
        );
    }
    for t in schema::tables(&schemas).filter(|t| t.keep == Keep::Never) {
        assert!(!in_backup.contains(t.name), "{} is transient", t.name);
    }
}

#[tokio::test]
async fn register_keepers_come_from_the_plan_not_from_a_migration() {
    let app = TestApp::with_plan().await;
    let keepers = |store: qcity_store::Store| async move {
        sqlx::query("SELECT registry, unit_code FROM registry_owners ORDER BY registry, unit_code")
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}:{}",
                    r.get::<String, _>("registry"),
                    r.get::<String, _>("unit_code")
                )
            })
            .collect::<Vec<_>>()
    };
    let mut plan = qcity_domain::plan::default_plan();
    let expected: Vec<String> = {
        let mut v: Vec<String> = plan
            .units
            .iter()
            .flat_map(|u| {
                u.registers
                    .iter()
                    .map(|r| format!("{}:{}", r.as_str(), u.code))
            })
            .collect();
        v.sort();
        v
    };
    assert!(
        expected.contains(&"enterprises:ZJFJ".to_string()),
        "{expected:?}"
    );
    assert_eq!(keepers(app.store.clone()).await, expected);

    // The office hands the sampling register of 区农委 to 区质监分局 alone: a new plan version.
    for u in &mut plan.units {
        if u.code == "NW" {
            u.registers.clear();
        }
    }
    qcity_store::plan::import(
        &app.store,
        &qcity_store::Actor::system("test"),
        &plan,
        "toml",
        "edited.toml",
        chrono::Local::now().date_naive(),
    )
    .await
    .unwrap();
    let after = keepers(app.store.clone()).await;
    assert!(!after.contains(&"sampling:NW".to_string()), "{after:?}");
    assert!(after.contains(&"sampling:ZJFJ".to_string()), "{after:?}");
}

#[test]
fn every_formula_of_the_default_plan_names_a_measure_an_installed_module_computes() {
    let measures = schema::measures(&modules::schema());
    assert!(measures.len() >= 2, "{measures:?}");
    let problems = qcity_domain::plan::default_plan().check_formulas(None, &measures);
    assert!(problems.is_empty(), "{problems:#?}");
    for m in &measures {
        assert!(
            MODULES.iter().any(|module| module.slug == m.registry),
            "measure {} names registry {}, which is no module",
            m.name,
            m.registry
        );
    }
}

#[test]
fn every_navigation_label_is_translated_at_run_time_in_both_languages() {
    use qcity_web::i18n::Lang;
    for entry in MODULES.iter().flat_map(|m| m.nav) {
        for lang in [Lang::ZhCn, Lang::En] {
            let text = lang.t(entry.label);
            assert_ne!(text, entry.label, "{} has no {lang:?} text", entry.label);
        }
    }
}

#[tokio::test]
async fn every_modules_demo_seeds_through_the_repositories_and_a_second_run_changes_nothing() {
    let app = TestApp::with_plan().await;
    let ctx = schema::DemoCtx {
        today: chrono::NaiveDate::from_ymd_opt(2014, 12, 15).unwrap(),
    };
    let seeds: Vec<_> = app.store.demos().collect();
    assert!(seeds.len() >= 4, "{} modules seed demo data", seeds.len());
    for seed in &seeds {
        seed(&app.store, &ctx).await.unwrap();
    }
    let count = |table: &'static str| {
        let store = app.store.clone();
        async move {
            sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
                .fetch_one(&store.pool)
                .await
                .unwrap()
                .get::<i64, _>("n")
        }
    };
    let before = [
        count("reports").await,
        count("indicator_values").await,
        count("enterprises").await,
        count("sampling").await,
        count("assessment_ratings").await,
        count("quality_reports").await,
    ];
    assert!(
        before.iter().all(|n| *n > 0),
        "every module seeded: {before:?}"
    );
    for seed in &seeds {
        seed(&app.store, &ctx).await.unwrap();
    }
    let after = [
        count("reports").await,
        count("indicator_values").await,
        count("enterprises").await,
        count("sampling").await,
        count("assessment_ratings").await,
        count("quality_reports").await,
    ];
    assert_eq!(before, after, "a second demo run adds nothing");
}
