//! A real server on a random port, over a fresh database: SQLite in a temp dir by default,
//! a new PostgreSQL database when `QCITY_TEST_PG` names a server (e.g. postgres://postgres@127.0.0.1:5432).

use qcity_domain::role::Role;
use qcity_store::users::{self, NewUser};
use qcity_store::{Actor, Store};
use qcity_web::{AppState, Config};
use reqwest::redirect::Policy;
use std::net::SocketAddr;
use tokio::sync::oneshot;

pub const ADMIN_PASSWORD: &str = "Admin-Pass-2014";
pub const PASSWORD: &str = "Unit-Pass-2014";

pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    /// The server's state (its kept views, its metrics).
    pub state: AppState,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

/// A fresh database URL for one test.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("QCITY_TEST_PG") {
        Ok(server) if !server.is_empty() => {
            let admin =
                qcity_web::modules::connect(&format!("{}/postgres", server.trim_end_matches('/')))
                    .await
                    .expect("QCITY_TEST_PG is set but PostgreSQL is not reachable");
            let name = format!("qcity_test_{}", &qcity_store::auth::random_token()[..16]);
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin.pool)
                .await
                .expect("create test database");
            admin.pool.close().await;
            format!("{}/{name}", server.trim_end_matches('/'))
        }
        _ => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Config::default()).await
    }

    pub async fn spawn_with(config: Config) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(dir.path()).await;
        let store = qcity_web::modules::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        seed_units(&store).await;
        create_user(&store, "admin", Role::Office, None, ADMIN_PASSWORD).await;
        let state = AppState::new(store.clone(), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            let _ = qcity_web::serve(listener, serve_state, async {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            addr,
            store,
            state,
            _dir: dir,
            _stop: tx,
        }
    }

    /// A server with the default (Huiji 2014) plan loaded, as `qcity serve` does on first start.
    pub async fn with_plan() -> TestApp {
        Self::with_plan_and(Config::default()).await
    }

    /// The same with settings (e.g. a fixed business date).
    pub async fn with_plan_and(config: Config) -> TestApp {
        let config_today = config
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let app = Self::spawn_with(config).await;
        let plan = qcity_domain::plan::default_plan();
        qcity_store::plan::import(
            &app.store,
            &Actor::system("test"),
            &plan,
            "default",
            "huiji-2014.toml",
            config_today,
        )
        .await
        .expect("load the default plan");
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .expect("client")
    }

    /// A client signed in as `username`.
    pub async fn login(&self, username: &str, password: &str) -> reqwest::Client {
        let c = self.client();
        let res = c
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 303, "login of {username} should redirect");
        c
    }

    pub async fn user(&self, username: &str, role: Role, unit: Option<&str>) -> reqwest::Client {
        create_user(&self.store, username, role, unit, PASSWORD).await;
        self.login(username, PASSWORD).await
    }
}

/// A second server on the same database with other settings (a later business date, as
/// when the days pass). Cookies are kept per host, not per port: a signed-in client is
/// signed in on both.
pub struct Sibling {
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl Sibling {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl TestApp {
    pub async fn sibling(&self, config: Config) -> Sibling {
        let state = AppState::new(self.store.clone(), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = qcity_web::serve(listener, state, async {
                let _ = rx.await;
            })
            .await;
        });
        Sibling { addr, _stop: tx }
    }
}

/// Two member units under a district, as the plan would create them.
pub async fn seed_units(store: &Store) {
    let actor = Actor::system("test");
    qcity_store::units::create(store, &actor, "ZZ", "郑州市", "city", None)
        .await
        .expect("city");
    qcity_store::units::create(
        store,
        &actor,
        "HUIJI",
        "惠济区人民政府",
        "district",
        Some("ZZ"),
    )
    .await
    .expect("district");
    qcity_store::units::create(store, &actor, "ZJFJ", "区质监分局", "member", Some("HUIJI"))
        .await
        .expect("unit");
    qcity_store::units::create(store, &actor, "NW", "区农委", "member", Some("HUIJI"))
        .await
        .expect("unit");
    // Who keeps which register, as the default plan says (a plan import sets it).
    let mut tx = store.begin().await.expect("begin");
    qcity_store::enterprises::sync_register_keepers(&mut tx, &qcity_domain::plan::default_plan())
        .await
        .expect("register keepers");
    tx.commit().await.expect("commit");
}

pub async fn create_user(
    store: &Store,
    username: &str,
    role: Role,
    unit: Option<&str>,
    password: &str,
) {
    users::create(
        store,
        &Actor::system("test"),
        NewUser {
            username,
            display_name: username,
            role,
            unit_code: unit,
            password,
            must_change_password: false,
        },
    )
    .await
    .expect("create user");
}

pub async fn body(res: reqwest::Response) -> String {
    res.text().await.expect("body")
}

/// The answer of an import page: the queue redirects to the file's page, which refreshes
/// itself while the file is read; this follows it (as the browser does) until it shows the
/// outcome, and gives its status and body.
pub async fn import_outcome(c: &reqwest::Client, res: reqwest::Response) -> (u16, String) {
    let mut url = res.url().clone();
    let mut res = res;
    // Signed-in test clients do not follow redirects: follow the one to the file's page.
    if res.status() == 303 {
        let to = res.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        url = url.join(&to).expect("a URL");
        res = c.get(url.clone()).send().await.expect("the job's page");
    }
    let mut status = res.status().as_u16();
    let mut page = body(res).await;
    let start = std::time::Instant::now();
    while page.contains("id=\"import-progress\"") {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(120),
            "the import did not end: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let res = c.get(url.clone()).send().await.unwrap();
        status = res.status().as_u16();
        page = body(res).await;
    }
    (status, page)
}
