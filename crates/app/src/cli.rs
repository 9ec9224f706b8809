//! Command-line contract (other work and its checks rely on these names):
//! global `--data-dir`, `--database-url`, `--today`; `serve`, `migrate`, `user …`, `token create`,
//! `audit verify`, `backup`, `restore`.

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use qcity_domain::role::Role;
use qcity_store::audit::{self, HashChoice, KeySource, Seal, Verdict};
use qcity_store::auth::random_password;
use qcity_store::evidence_store::EvidenceStore;
use qcity_store::job_runs::{self, Ran};
use qcity_store::users::{self, NewUser};
use qcity_store::{Actor, Store, backup};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "qcity",
    version,
    about = "QCity 质量强市创建工作平台 — the quality-strong city campaign platform"
)]
pub struct Cli {
    /// Where the embedded database and files live.
    #[arg(long, global = true, default_value = "./data", env = "QCITY_DATA_DIR")]
    data_dir: PathBuf,
    /// sqlite://FILE or postgres://USER@HOST/DB; default: SQLite under the data directory.
    #[arg(long, global = true, env = "QCITY_DATABASE_URL")]
    database_url: Option<String>,
    /// Business date for the whole product (YYYY-MM-DD), for demos, training and tests.
    #[arg(long, global = true, env = "QCITY_TODAY", value_parser = parse_date)]
    today: Option<NaiveDate>,
    /// Hash of the audit chain's MAC for new records: sha256 or sm3 (GB/T 32905).
    #[arg(
        long,
        global = true,
        env = "QCITY_AUDIT_HASH",
        default_value = "sha256"
    )]
    audit_hash: HashChoice,
    /// Key of the audit chain (at least 32 characters); default: `audit.key` in the data
    /// directory, created on first start. Prefer the environment variable: a flag shows in the
    /// process list.
    #[arg(long, global = true, env = "QCITY_AUDIT_KEY", hide_env_values = true)]
    audit_key: Option<String>,
    /// Where evidence files' bytes are kept: `database` (default), `dir` (the data directory's
    /// `evidence/`), `file:///PATH`, or `s3://BUCKET?endpoint=URL&region=REGION` (credentials
    /// from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). Several app servers need `database`
    /// or a bucket.
    #[arg(
        long,
        global = true,
        env = "QCITY_EVIDENCE_STORE",
        default_value = "database"
    )]
    evidence_store: String,
    #[command(subcommand)]
    command: Command,
    /// The database a command opened, checkpointed to the audit anchor when the command ends.
    #[arg(skip)]
    opened: std::sync::OnceLock<Store>,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date like 2015-03-31"))
}

// Parsed once at start: the size of the server's option list does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Start the web server (migrates the database and creates the first account if needed).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Minutes of inactivity after which a session ends.
        #[arg(long, default_value_t = 30)]
        idle_timeout_minutes: i64,
        /// Seconds a checked session is trusted before it is read again: how long a session
        /// ended or an account disabled by another process may still be used here (0: every
        /// request reads it).
        #[arg(long, default_value_t = 5)]
        session_check_seconds: u64,
        /// Mark cookies Secure (when served over HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// Extra origin allowed to post forms (the public address behind a reverse proxy).
        #[arg(long)]
        trusted_origin: Vec<String>,
        /// Address of a reverse proxy whose X-Forwarded-For header names the real client.
        #[arg(long)]
        trusted_proxy: Vec<std::net::IpAddr>,
        /// Largest evidence file accepted, in MB.
        #[arg(long, default_value_t = 20)]
        max_evidence_mb: usize,
        /// Largest file a web import takes, in MB (streamed to the data directory, not memory).
        #[arg(long, default_value_t = 256)]
        max_import_mb: usize,
        /// Imports read at once; 0: one per core but one, at least one.
        #[arg(long, default_value_t = 0)]
        import_workers: usize,
        /// Days before a due date that reminders go out, e.g. 7,3,1.
        #[arg(long, default_value = "7,3,1", value_delimiter = ',')]
        reminder_days: Vec<i64>,
        /// Days after a due date for blue 催办, yellow 督办 and red 通报, e.g. 0,7,15.
        #[arg(long, default_value = "0,7,15", value_delimiter = ',')]
        escalation_days: Vec<i64>,
        /// SMTP relay for the daily digest to each unit's liaison (plain SMTP, e.g. a local relay).
        #[arg(long, env = "QCITY_SMTP_HOST")]
        smtp_host: Option<String>,
        #[arg(long, env = "QCITY_SMTP_PORT", default_value_t = 25)]
        smtp_port: u16,
        /// Sender, e.g. "惠济区强区办 <qcity@example.gov.cn>".
        #[arg(
            long,
            env = "QCITY_SMTP_FROM",
            default_value = "QCity <qcity@localhost>"
        )]
        smtp_from: String,
        #[arg(long, env = "QCITY_SMTP_USER")]
        smtp_user: Option<String>,
        #[arg(long, env = "QCITY_SMTP_PASSWORD", hide_env_values = true)]
        smtp_password: Option<String>,
        /// Endpoint that receives every notice as a signed JSON POST.
        #[arg(long, env = "QCITY_WEBHOOK_URL")]
        webhook_url: Option<String>,
        #[arg(long, env = "QCITY_WEBHOOK_SECRET", hide_env_values = true)]
        webhook_secret: Option<String>,
        /// Key of the office's WeCom (企业微信) group robot: every notice goes to the group.
        #[arg(long, env = "QCITY_WECOM_KEY", hide_env_values = true)]
        wecom_webhook_key: Option<String>,
        /// WeCom send endpoint; this build speaks http:// only, so point it at a forwarding proxy.
        #[arg(long, env = "QCITY_WECOM_URL", default_value = crate::delivery::WECOM_URL)]
        wecom_url: String,
        /// Access token of the office's DingTalk (钉钉) group robot: every notice goes to the group.
        #[arg(long, env = "QCITY_DINGTALK_TOKEN", hide_env_values = true)]
        dingtalk_token: Option<String>,
        /// The DingTalk robot's signing secret (加签), if it has one.
        #[arg(long, env = "QCITY_DINGTALK_SECRET", hide_env_values = true)]
        dingtalk_secret: Option<String>,
        /// DingTalk send endpoint; this build speaks http:// only, so point it at a forwarding proxy.
        #[arg(long, env = "QCITY_DINGTALK_URL", default_value = crate::delivery::DINGTALK_URL)]
        dingtalk_url: String,
        /// SMS gateway that takes one message per POST: each notice's title goes to its unit
        /// liaison's mobile number.
        #[arg(long, env = "QCITY_SMS_URL", hide_env_values = true)]
        sms_url: Option<String>,
        /// The gateway's request body, with {phone}, {text} and {id} filled in.
        #[arg(
            long,
            env = "QCITY_SMS_TEMPLATE",
            hide_env_values = true,
            default_value = r#"{"to":"{phone}","text":"{text}"}"#
        )]
        sms_template: String,
        /// How the body is sent: json or form (application/x-www-form-urlencoded).
        #[arg(long, env = "QCITY_SMS_CONTENT_TYPE", default_value = "json", value_parser = ["json", "form"])]
        sms_content_type: String,
        /// Bearer token `/metrics` requires (at least 16 characters); without one `/metrics`
        /// answers 404.
        #[arg(long, env = "QCITY_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Seconds between outbox runs (tests shorten it; every server runs them, each item is
        /// claimed by one).
        #[arg(long, default_value_t = 60, hide = true)]
        delivery_interval_secs: u64,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent backup (safe while the server runs).
    Backup { file: PathBuf },
    /// Restore a backup into an empty database (refused when the backup's audit trail is broken).
    Restore {
        file: PathBuf,
        /// Restore even if the backup's audit trail is broken; the restore records that it did.
        #[arg(long)]
        accept_broken_audit: bool,
    },
    /// The campaign plan: validate, export, import.
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// Districts of the city: each runs its own plan in this installation.
    District {
        #[command(subcommand)]
        command: DistrictCommand,
    },
    /// Run reminders and escalations once for the business date (the server also runs them hourly).
    Supervise,
    /// Recount the figures the overviews keep current (as of the business date) from the
    /// records, and say whether the kept ones differed.
    Rebuild,
    /// Create a ready-to-explore database: the seed plan and one account per role.
    Demo,
    /// Import a register from XLSX or CSV (bad rows are reported by line, good rows kept).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Offline checks of identifiers (no database).
    Check {
        #[command(subcommand)]
        command: crate::check::CheckCommand,
    },
    /// Benchmarks, reported as ratios against a baseline measured in the same run.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Enterprises (企业名录): one row per enterprise, or per licence; template via the web.
    Enterprises { file: PathBuf },
    /// Supervision sampling results (抽查结果) as agencies publish them.
    Sampling { file: PathBuf },
}

#[derive(Subcommand)]
enum DistrictCommand {
    /// Another district takes the installation's plan over with its own member units
    /// (codes prefixed), the same contents and deadlines, as its first plan version.
    Add {
        /// The district's unit code, uppercase letters, e.g. JINSHUI.
        #[arg(long)]
        code: String,
        /// Its name, e.g. 金水区.
        #[arg(long)]
        name: String,
        /// The prefix of its member units' codes, uppercase letters, e.g. JS.
        #[arg(long)]
        prefix: String,
        /// The plan's code; default: the district code in lower case with the template's year.
        #[arg(long)]
        plan_code: Option<String>,
    },
}

#[derive(Subcommand)]
enum PlanCommand {
    /// Check a plan file (TOML or XLSX): every error with line and field.
    Validate { file: PathBuf },
    /// Write the current plan (or the default plan) as json, xlsx or toml.
    Export {
        #[arg(long, default_value = "json")]
        format: String,
        /// Output file; standard output when absent.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Import a plan file (TOML or XLSX, also as saved by LibreOffice) as a new version.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// A province of districts on PostgreSQL: the province's and a city's district comparison
    /// and a district's leaders' view through a server, against plain reads, and its memory.
    City {
        /// Generated districts (the seed district is one more).
        #[arg(long, default_value_t = 149)]
        districts: usize,
        #[arg(long, default_value_t = 30)]
        units: usize,
        #[arg(long, default_value_t = 1000)]
        per_unit: usize,
        /// Sampling records over the province (ten years, spread over the districts).
        #[arg(long, default_value_t = 15_000_000)]
        samples: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Seconds of load (8 clients) per view.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// The PostgreSQL server; the benchmark creates its own database there and drops it.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
    },
    /// Office overview and a unit's list over a city's obligations, against plain reads.
    Obligations {
        #[arg(long, default_value_t = 10)]
        districts: usize,
        #[arg(long, default_value_t = 30)]
        units: usize,
        #[arg(long, default_value_t = 1000)]
        per_unit: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Import sampling records from CSV and compute pass rates and the indicator dashboard's
    /// data over them, against the database itself (a prepared insert of the same rows; a plain
    /// aggregate) in the same run.
    Sampling {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// A PostgreSQL server (postgres://user@host:port) to run on: the benchmark creates
        /// its own databases there and drops them. SQLite files in a temporary directory
        /// otherwise.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Import complaint tickets with their histories from CSV, then read the dashboard and a
    /// unit's queue over them, against the database itself (a prepared insert of the same rows;
    /// a plain aggregate; a plain select) in the same run.
    Complaints {
        /// Tickets over five years.
        #[arg(long, default_value_t = 1_000_000)]
        tickets: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// A PostgreSQL server (postgres://user@host:port) to run on: the benchmark creates
        /// its own databases there and drops them. SQLite files in a temporary directory
        /// otherwise.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// On the demo data: the annual report and every unit's score, computed and downloaded,
    /// against a plain read of the rows they draw on.
    Reports {
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Idle memory, and signed-in pages on the demo data against /healthz and a bare axum
    /// route under concurrent load.
    Http {
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The bare axum route `bench http` compares pages with (started by it, in a process of
    /// its own like the server).
    #[command(hide = true)]
    Bare {
        #[arg(long)]
        listen: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. Without --password-stdin a one-time password is printed and must be changed at first sign-in.
    Add {
        #[arg(long)]
        username: String,
        /// office, unit, leader or evaluator
        #[arg(long)]
        role: String,
        /// Unit code (required for role unit), see /units.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, default_value = "")]
        display_name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Give an account a new one-time password (printed once) that must be changed at sign-in.
    ResetPassword { username: String },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Revoke every API token of an account.
    Revoke {
        #[arg(long)]
        username: String,
    },
    /// Create an API token for an account; printed once.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the keyed hash chain and compare it with the anchor file; exits non-zero and
    /// names the first bad record if records were altered, removed or the head rewound.
    Verify,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("QCITY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let result = run(&cli).await;
        cli.checkpoint().await;
        result
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl Cli {
    fn database_url(&self) -> Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                self.data_dir.display()
            )
        })?;
        let file = self.data_dir.join("qcity.db");
        Ok(format!("sqlite://{}?mode=rwc", file.display()))
    }

    async fn store(&self) -> Result<Store> {
        let url = self.database_url()?;
        let seal = Seal::open(&self.data_dir, self.audit_key.as_deref(), self.audit_hash)
            .context("审计密钥不可用 / the audit key is unusable")?;
        if let KeySource::NewFile(path) = seal.source() {
            eprintln!(
                "已创建审计密钥 / created the audit key {}: keep it (or QCITY_AUDIT_KEY) with the installation; restoring a backup elsewhere needs it",
                path.display()
            );
        }
        let evidence = EvidenceStore::open(&self.evidence_store, &self.data_dir)
            .map_err(|e| anyhow!("QCITY_EVIDENCE_STORE / --evidence-store: {e}"))?;
        let store = qcity_web::modules::connect(&url)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?
            .with_audit_seal(seal)
            .with_evidence_store(evidence);
        store.migrate().await.context("database migration failed")?;
        let _ = self.opened.set(store.clone());
        Ok(store)
    }

    /// Copies the audit head to the anchor file after a command that may have written records
    /// (not after `audit verify`, which only reads).
    async fn checkpoint(&self) {
        if matches!(self.command, Command::Audit { .. }) {
            return;
        }
        if let Some(store) = self.opened.get()
            && let Err(e) = audit::checkpoint(store).await
        {
            eprintln!("警告 warning: {e}");
        }
    }
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn run(cli: &Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Serve {
            listen,
            idle_timeout_minutes,
            session_check_seconds,
            secure_cookies,
            trusted_origin,
            trusted_proxy,
            max_evidence_mb,
            max_import_mb,
            import_workers,
            reminder_days,
            escalation_days,
            smtp_host,
            smtp_port,
            smtp_from,
            smtp_user,
            smtp_password,
            webhook_url,
            webhook_secret,
            wecom_webhook_key,
            wecom_url,
            dingtalk_token,
            dingtalk_secret,
            dingtalk_url,
            sms_url,
            sms_template,
            sms_content_type,
            metrics_token,
            delivery_interval_secs,
        } => {
            let delivery = crate::delivery::DeliveryConfig {
                smtp: smtp_host.as_ref().map(|host| crate::delivery::SmtpConfig {
                    host: host.clone(),
                    port: *smtp_port,
                    from: smtp_from.clone(),
                    username: smtp_user.clone(),
                    password: smtp_password.clone(),
                }),
                webhook: webhook_url
                    .as_ref()
                    .map(|url| crate::delivery::WebhookConfig {
                        url: url.clone(),
                        secret: webhook_secret.clone().unwrap_or_default(),
                    }),
                wecom: wecom_webhook_key
                    .as_ref()
                    .map(|key| crate::delivery::WecomConfig {
                        url: wecom_url.clone(),
                        key: key.trim().to_string(),
                    }),
                dingtalk: dingtalk_token
                    .as_ref()
                    .map(|token| crate::delivery::DingtalkConfig {
                        url: dingtalk_url.clone(),
                        token: token.trim().to_string(),
                        secret: dingtalk_secret
                            .as_deref()
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(String::from),
                    }),
                sms: sms_url.as_ref().map(|url| crate::delivery::SmsConfig {
                    url: url.clone(),
                    template: sms_template.clone(),
                    format: if sms_content_type == "form" {
                        crate::delivery::SmsFormat::Form
                    } else {
                        crate::delivery::SmsFormat::Json
                    },
                }),
            };
            if dingtalk_secret.is_some() && dingtalk_token.is_none() {
                bail!("--dingtalk-secret needs --dingtalk-token (QCITY_DINGTALK_TOKEN)");
            }
            delivery.validate().context("delivery settings")?;
            let store = cli
                .store()
                .await?
                .with_session_ttl(std::time::Duration::from_secs(
                    (*session_check_seconds).min(60),
                ));
            // Servers started together on one database: one loads the plan and makes the
            // first account, the others find them.
            let setup = store.setup_lock().await?;
            crate::first_start::ensure_plan(&store, cli.today.unwrap_or_else(china_today)).await?;
            crate::first_start::ensure_first_admin(&store).await?;
            setup.release().await?;
            let escalation: [i64; 3] = match escalation_days.as_slice() {
                [a, b, c] if 0 <= *a && a < b && b < c => [*a, *b, *c],
                _ => bail!("--escalation-days takes three increasing day counts, e.g. 0,7,15"),
            };
            let metrics_token = metrics_token
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty());
            if metrics_token.is_some_and(|t| t.len() < 16) {
                bail!("QCITY_METRICS_TOKEN / --metrics-token must be at least 16 characters");
            }
            if reminder_days.iter().any(|d| *d < 0) {
                bail!("--reminder-days takes day counts of zero or more, e.g. 7,3,1");
            }
            // Uploads stream into the data directory; a crash can leave some behind.
            let uploads = cli.data_dir.join("uploads");
            clear_uploads(&uploads)?;
            let config = qcity_web::Config {
                max_evidence_bytes: (*max_evidence_mb).clamp(1, 1024) * 1024 * 1024,
                max_import_bytes: (*max_import_mb).clamp(1, 4096) * 1024 * 1024,
                upload_dir: Some(uploads),
                import_workers: *import_workers,
                ladder: qcity_store::notices::Ladder {
                    reminder_days: reminder_days.clone(),
                    escalation_days: escalation,
                },
                idle_timeout: chrono::Duration::minutes((*idle_timeout_minutes).max(1)),
                today: cli.today,
                secure_cookies: *secure_cookies,
                trusted_origins: trusted_origin.clone(),
                trusted_proxies: trusted_proxy.clone(),
                metrics_token: metrics_token.map(String::from),
                ..Default::default()
            };
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            println!("QCity 已启动 / running at http://{addr}/");
            println!(
                "进程 / node {}, 证据文件 / evidence in {}",
                job_runs::node_name(),
                store.evidence_store().describe()
            );
            if let Some(d) = cli.today {
                println!("系统日期设定为 / business date fixed at {d}");
            }
            let state = qcity_web::AppState::new(store, config);
            spawn_supervisor(state.clone());
            spawn_anchor(state.store.clone());
            let clock = state.clone();
            let every = std::time::Duration::from_secs((*delivery_interval_secs).max(1));
            crate::delivery::spawn(state.store.clone(), delivery, every, move || clock.today());
            qcity_web::serve(listener, state, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = cli.store().await?;
            println!(
                "database at schema version {}",
                qcity_store::current_version(&store).await?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => user_command(cli, command).await,
        Command::Token {
            command: TokenCommand::Create { username, label },
        } => {
            let store = cli.store().await?;
            let token =
                users::create_token(&store, &Actor::system("token-create"), username, label)
                    .await?;
            println!("{token}");
            eprintln!("这是该令牌唯一一次显示 / this token is shown only once");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command: TokenCommand::Revoke { username },
        } => {
            let store = cli.store().await?;
            let n = users::revoke_tokens(&store, &Actor::system("token-revoke"), username)
                .await
                .map_err(explain_store_error)?;
            println!("已吊销 {n} 个令牌 / revoked {n} tokens of {username}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = cli.store().await?;
            match audit::verify(&store).await? {
                Verdict::Intact {
                    records,
                    head,
                    anchored,
                    accepted_from,
                } => {
                    println!("审计日志完整 / audit trail intact: {records} records, head {head}");
                    if let (Some(n), Some(path)) = (anchored, store.audit_seal().anchor_path()) {
                        println!(
                            "与锚点文件一致 / agrees with the anchor file {} (record {n})",
                            path.display()
                        );
                    }
                    if let Some(m) = accepted_from {
                        println!(
                            "注意 / note: records before {m} come from a backup whose audit trail was broken; record {m} is the restore that accepted it, and the chain is checked from there"
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Verdict::Broken { seq, reason } => {
                    println!("审计日志被篡改 / audit trail BROKEN at record {seq}: {reason}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Backup { file } => {
            let store = cli.store().await?;
            let tmp = file.with_extension("partial");
            // The backup holds password hashes and personal data: readable by its owner only.
            let f =
                create_private(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let summary = backup::backup(&store, &mut w).await?;
            w.flush()?;
            drop(w);
            // Only a complete backup gets the requested name.
            std::fs::rename(&tmp, file)
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!(
                "backup written to {}: {} rows",
                file.display(),
                summary.rows
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan {
            command: PlanCommand::Validate { file },
        } => crate::plan_cmd::validate(file),
        Command::Plan {
            command: PlanCommand::Export { format, output },
        } => {
            let store = cli.store().await?;
            let plan = crate::plan_cmd::current_or_default(&store).await?;
            let bytes = crate::plan_cmd::render(&plan, format)?;
            match output {
                Some(path) => {
                    std::fs::write(path, &bytes)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => {
                    if format == "xlsx" {
                        bail!("an XLSX export needs -o FILE");
                    }
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan {
            command: PlanCommand::Import { file },
        } => {
            let store = cli.store().await?;
            crate::plan_cmd::import(&store, file, cli.today.unwrap_or_else(china_today)).await
        }
        Command::District {
            command:
                DistrictCommand::Add {
                    code,
                    name,
                    prefix,
                    plan_code,
                },
        } => {
            let store = cli.store().await?;
            let today = cli.today.unwrap_or_else(china_today);
            crate::first_start::ensure_plan(&store, today).await?;
            let spec = qcity_domain::plan::DistrictSpec {
                code: code.trim().to_string(),
                name: name.trim().to_string(),
                prefix: prefix.trim().to_string(),
                plan_code: plan_code
                    .clone()
                    .unwrap_or_else(|| format!("{}-plan", code.trim().to_lowercase())),
            };
            let done = qcity_store::plan::add_district(
                &store,
                &Actor::system("district add"),
                &spec,
                today,
            )
            .await
            .map_err(explain_store_error)?;
            println!(
                "district {} ({}) runs plan {} version {}",
                spec.code, spec.name, spec.plan_code, done.version
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => crate::demo::run(&cli.store().await?).await,
        Command::Import { command } => {
            let store = cli.store().await?;
            // The business date decides what counts as "in the future" in a row.
            let today = cli.today.unwrap_or_else(china_today);
            crate::first_start::ensure_plan(&store, today).await?;
            match command {
                ImportCommand::Enterprises { file } => {
                    crate::import_cmd::enterprises_file(&store, file, today).await
                }
                ImportCommand::Sampling { file } => {
                    crate::import_cmd::sampling_file(&store, file, today).await
                }
            }
        }
        Command::Check {
            command: crate::check::CheckCommand::Uscc { codes },
        } => Ok(crate::check::uscc(codes)),
        Command::Supervise => {
            let store = cli.store().await?;
            let today = cli.today.unwrap_or_else(china_today);
            let ladder = Default::default();
            let ctx = qcity_store::schema::JobCtx {
                today,
                ladder: &ladder,
            };
            // The same claims as the servers' supervisors: a job a server ran this hour for
            // this business date is not run again.
            let slot = job_runs::hourly_slot(today, chrono::Utc::now());
            let node = job_runs::node_name();
            for (name, ran) in job_runs::run_all(&store, &ctx, &slot, node).await {
                match ran.with_context(|| format!("job {name} failed"))? {
                    Ran::Here(summary) if summary.is_empty() => {}
                    Ran::Here(summary) => println!("{today}: {summary}"),
                    Ran::Elsewhere(holder) => println!(
                        "{today}: {name} 本时段已由 {holder} 执行 / already run in this hour by {holder}"
                    ),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rebuild => {
            let store = cli.store().await?;
            let today = cli.today.unwrap_or_else(china_today);
            let tallies = qcity_store::obligations::tallies::drift(&store).await?;
            let cells = qcity_store::obligations::tallies::rebuild(&store, today).await?;
            println!(
                "督查统计 / supervision figures: {cells} 格重新计数 / cells recounted as of {today}; \
                 {} 格与重新计数不符 / kept cells differed",
                tallies.len()
            );
            Ok(if tallies.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Bench {
            command:
                BenchCommand::Obligations {
                    districts,
                    units,
                    per_unit,
                    runs,
                },
        } => {
            crate::bench::obligations(*districts, *units, *per_unit, *runs).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Sampling {
                    rows,
                    runs,
                    postgres,
                },
        } => {
            crate::bench_sampling::run(*rows, *runs, postgres.as_deref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::City {
                    districts,
                    units,
                    per_unit,
                    samples,
                    runs,
                    seconds,
                    postgres,
                },
        } => {
            let size = crate::bench_city::Size {
                districts: *districts,
                units: *units,
                per_unit: *per_unit,
                samples: *samples,
            };
            crate::bench_city::run(postgres.trim_end_matches('/'), size, *runs, *seconds).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Complaints {
                    tickets,
                    runs,
                    postgres,
                },
        } => {
            crate::bench_complaints::run(*tickets, *runs, postgres.as_deref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command: BenchCommand::Reports { runs },
        } => {
            crate::bench_reports::run(*runs).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command: BenchCommand::Http { clients, seconds },
        } => {
            crate::bench::http(*clients, *seconds).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command: BenchCommand::Bare { listen },
        } => {
            crate::bench::bare(listen).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore {
            file,
            accept_broken_audit,
        } => {
            let f = std::fs::File::open(file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let store = cli.store().await?;
            let outcome =
                backup::restore_with(&store, std::io::BufReader::new(f), *accept_broken_audit)
                    .await?;
            match outcome {
                backup::Outcome::Restored { summary, audit } => {
                    println!(
                        "restored {} rows into {} tables",
                        summary.rows, summary.tables
                    );
                    if let Verdict::Broken { seq, reason } = audit {
                        println!(
                            "警告 / warning: the backup's audit trail is broken at record {seq} ({reason}); restored as asked (--accept-broken-audit), and the audit trail records that"
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                backup::Outcome::Refused { seq, reason } => {
                    eprintln!(
                        "备份中的审计日志被篡改，未恢复 / the backup's audit trail is BROKEN at record {seq}: {reason}; nothing was restored"
                    );
                    eprintln!(
                        "备份若来自另一安装，请先复制其 audit.key 或设置 QCITY_AUDIT_KEY / if the backup comes from another installation, copy its audit.key into the data directory or set QCITY_AUDIT_KEY first"
                    );
                    eprintln!(
                        "确需恢复请加 --accept-broken-audit（将记入审计日志）/ to restore it anyway add --accept-broken-audit (recorded in the audit trail)"
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// Creates a file only its owner can read (on Unix; elsewhere the platform's default).
fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Today in China Standard Time.
/// Makes the upload directory (private) and removes what an earlier run left in it: uploads
/// live only as long as their request.
fn clear_uploads(dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("upload-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

fn china_today() -> NaiveDate {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::Utc::now().with_timezone(&cst).date_naive()
}

/// Copies the audit head to the anchor file every few seconds while the server runs (the last
/// time when the command ends; see `Cli::checkpoint`).
fn spawn_anchor(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(audit::CHECKPOINT_INTERVAL);
        loop {
            tick.tick().await;
            if let Err(e) = audit::checkpoint(&store).await {
                tracing::warn!(error = %e, "audit anchor checkpoint failed");
            }
        }
    });
}

/// Every module's scheduled jobs (reminders and escalations, licence alerts, blacklist terms)
/// at start and then hourly, for the server's business date. Each job is claimed for its hour
/// (`job_runs`), so with several servers on one database one of them runs it.
fn spawn_supervisor(state: qcity_web::AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        let node = job_runs::node_name();
        loop {
            tick.tick().await;
            let today = state.today();
            let ctx = qcity_store::schema::JobCtx {
                today,
                ladder: &state.config.ladder,
            };
            let slot = job_runs::hourly_slot(today, chrono::Utc::now());
            for (job, ran) in job_runs::run_all(&state.store, &ctx, &slot, node).await {
                match ran {
                    Ok(Ran::Here(summary)) => {
                        tracing::info!(%today, %slot, node, job, %summary, "job ran")
                    }
                    Ok(Ran::Elsewhere(holder)) => {
                        tracing::info!(%today, %slot, node, job, %holder, "job claimed by another process")
                    }
                    Err(e) => tracing::warn!(job, error = %e, "job failed"),
                }
            }
        }
    });
}

async fn user_command(cli: &Cli, command: &UserCommand) -> Result<ExitCode> {
    let store = cli.store().await?;
    let actor = Actor::system("user");
    match command {
        UserCommand::Add {
            username,
            role,
            unit,
            display_name,
            password_stdin,
        } => {
            let role: Role = role.parse().map_err(|e| anyhow!("{e}"))?;
            let (password, one_time) = if *password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the password from standard input")?;
                let pw = line.trim_end_matches(['\r', '\n']).to_string();
                if let Err(p) = qcity_domain::role::check_password(&pw) {
                    bail!(
                        "密码不符合要求 / the password is refused ({p:?}): at least 8 characters from three of upper case, lower case, digits, symbols"
                    );
                }
                (pw, false)
            } else {
                (random_password(), true)
            };
            let user = users::create(
                &store,
                &actor,
                NewUser {
                    username,
                    display_name,
                    role,
                    unit_code: unit.as_deref(),
                    password: &password,
                    must_change_password: one_time,
                },
            )
            .await
            .map_err(explain_store_error)?;
            println!(
                "created {} ({}{})",
                user.username,
                user.role,
                user.unit_code
                    .map(|u| format!(", unit {u}"))
                    .unwrap_or_default()
            );
            if one_time {
                println!("一次性密码 one-time password: {password}");
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::List => {
            for u in users::list(&store, &actor).await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    u.username,
                    u.role,
                    u.unit_code.unwrap_or_else(|| "-".into()),
                    if u.disabled { "disabled" } else { "active" },
                    if u.must_change_password {
                        ", must change password"
                    } else {
                        ""
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::ResetPassword { username } => {
            let password = random_password();
            users::set_password(&store, &actor, username, &password, true)
                .await
                .map_err(explain_store_error)?;
            println!("一次性密码 one-time password for {username}: {password}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Store errors in words for the terminal.
fn explain_store_error(e: qcity_store::StoreError) -> anyhow::Error {
    use qcity_store::StoreError as E;
    match e {
        E::Invalid { field, code } => {
            let why = match code.as_str() {
                "error-username-format" => {
                    "用户名须为 3–32 位字母、数字或 _ . - / usernames are 3–32 letters, digits or _ . -"
                }
                "error-username-taken" => "该用户名已被使用 / this username is taken",
                "error-unit-required" => "成员单位角色须指定 --unit / role unit needs --unit CODE",
                "error-unit-unknown" => {
                    "单位代码不存在 / no unit has this code (see the /units page)"
                }
                "error-password-weak" => "密码不符合复杂度要求 / the password is too weak",
                "error-district-spec" => {
                    "区县代码和前缀须为大写英文字母，名称不能为空 / code and prefix are uppercase letters, the name is required"
                }
                "error-district-exists" => {
                    "该区县已在运行自己的方案 / this district already runs its own plan"
                }
                other => other,
            };
            anyhow!("{field}: {why}")
        }
        E::NotFound => anyhow!("账号不存在 / no such account"),
        other => anyhow!(other),
    }
}
