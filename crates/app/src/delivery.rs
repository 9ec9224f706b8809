//! Delivery of notices beyond the app: a daily e-mail digest per unit over SMTP and a signed
//! webhook per notice, both through the store's outbox (which makes them idempotent and
//! retries failures with a back-off).
//!
//! This module uses only other crates (no `crate::` paths), so the integration tests compile
//! the same file and drive it against a real SMTP server and a real HTTP endpoint.

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use qcity_store::outbox::{self, CHANNEL_EMAIL, CHANNEL_WEBHOOK, OutboxItem};
use qcity_store::{Store, StoreError};
use sha2::Sha256;
use std::fmt;
use std::time::Duration;

/// How many due items of one channel one run sends; the next run (a minute later) takes more.
const BATCH: i64 = 100;

/// One send may take this long; well inside the outbox's claim lease.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Where notices go besides the app. Each channel is off when `None`.
#[derive(Clone, Default)]
pub struct DeliveryConfig {
    pub smtp: Option<SmtpConfig>,
    pub webhook: Option<WebhookConfig>,
}

/// A plain SMTP relay (the deployment has a local one): no TLS.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The sender, `name <address>` or a bare address.
    pub from: String,
    /// Both set: AUTH PLAIN/LOGIN with them.
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Clone)]
pub struct WebhookConfig {
    /// An `http://` endpoint (this build has no TLS client).
    pub url: String,
    /// Shared secret for the `X-QCity-Signature` HMAC.
    pub secret: String,
}

// Hand-written so that a logged config never shows the password or the secret.
impl fmt::Debug for DeliveryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("smtp", &self.smtp)
            .field("webhook", &self.webhook)
            .finish()
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"***")
            .finish()
    }
}

impl DeliveryConfig {
    pub fn is_empty(&self) -> bool {
        self.smtp.is_none() && self.webhook.is_none()
    }

    /// Checks what can be checked without connecting, so `serve` can refuse a bad config at
    /// start instead of failing every delivery.
    pub fn validate(&self) -> Result<()> {
        if let Some(s) = &self.smtp {
            if s.host.trim().is_empty() || s.port == 0 {
                bail!("SMTP host and port are required");
            }
            sender(s)?;
            if s.username.is_some() != s.password.is_some() {
                bail!("SMTP username and password go together");
            }
        }
        if let Some(w) = &self.webhook {
            let url = reqwest::Url::parse(w.url.trim())
                .with_context(|| format!("webhook URL `{}` is not a URL", w.url))?;
            if url.scheme() != "http" {
                bail!(
                    "webhook URL `{}`: only http:// is supported (no TLS client in this build; \
                     put a TLS-terminating proxy in front of an https receiver)",
                    w.url
                );
            }
            if w.secret.is_empty() {
                bail!("the webhook secret must not be empty");
            }
        }
        Ok(())
    }
}

fn sender(s: &SmtpConfig) -> Result<Mailbox> {
    s.from
        .trim()
        .parse::<Mailbox>()
        .with_context(|| format!("SMTP sender `{}` is not an e-mail address", s.from))
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub digests_queued: usize,
    pub webhooks_queued: usize,
    pub delivered: usize,
    /// Failed, to be tried again later.
    pub failed: usize,
    /// Failed for the last allowed time: stays undelivered with its error.
    pub gave_up: usize,
    /// Due, but another sender claimed it first.
    pub skipped: usize,
}

impl DeliveryReport {
    pub fn is_quiet(&self) -> bool {
        *self == DeliveryReport::default()
    }
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`, the `X-QCity-Signature` header value.
pub fn sign(secret: &str, body: &[u8]) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| anyhow!("webhook secret unusable: {e}"))?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Queues what is due as configured (today's digests, one webhook per new notice), then sends
/// what is due now.
pub async fn deliver_once(
    store: &Store,
    cfg: &DeliveryConfig,
    today: NaiveDate,
) -> Result<DeliveryReport> {
    deliver_at(store, cfg, today, Utc::now()).await
}

/// [`deliver_once`] at a given instant: the back-off schedule is driven by `now`, which tests
/// move forward instead of sleeping.
pub async fn deliver_at(
    store: &Store,
    cfg: &DeliveryConfig,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    if let Some(smtp) = &cfg.smtp {
        report.digests_queued = outbox::enqueue_digests(store, today, now).await?;
        // A bad sender address is a configuration error: leave the e-mails queued (their
        // attempts untouched) and say so, rather than burn their retries.
        match sender(smtp) {
            Ok(from) => {
                let mailer = mailer(smtp);
                for item in outbox::pending_on(store, CHANNEL_EMAIL, now, BATCH).await? {
                    if claim(store, &item, now, &mut report).await? {
                        let sent = send_mail(&mailer, &from, &item).await;
                        settle(store, &item, sent, now, &mut report).await?;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "e-mail delivery not possible"),
        }
    }
    if let Some(hook) = &cfg.webhook {
        report.webhooks_queued = outbox::enqueue_webhooks(store, hook.url.trim(), now).await?;
        let client = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            // A redirect is an answer other than 2xx: a failure, not a reason to re-post.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("QCity-Webhook/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the HTTP client")?;
        for item in outbox::pending_on(store, CHANNEL_WEBHOOK, now, BATCH).await? {
            if claim(store, &item, now, &mut report).await? {
                let sent = post_webhook(&client, hook, &item).await;
                settle(store, &item, sent, now, &mut report).await?;
            }
        }
    }
    Ok(report)
}

/// Reserves a due item for this run; counts it as skipped when another sender got it first.
async fn claim(
    store: &Store,
    item: &OutboxItem,
    now: DateTime<Utc>,
    report: &mut DeliveryReport,
) -> Result<bool> {
    let mine = outbox::claim(store, item, now).await?;
    if !mine {
        report.skipped += 1;
    }
    Ok(mine)
}

/// Records the outcome of a send of a claimed item.
async fn settle(
    store: &Store,
    item: &OutboxItem,
    sent: Result<(), String>,
    now: DateTime<Utc>,
    report: &mut DeliveryReport,
) -> Result<()> {
    match sent {
        Ok(()) => {
            if outbox::mark_delivered(store, item.id, now).await? {
                report.delivered += 1;
            }
        }
        Err(error) => {
            let failure = match outbox::mark_failed(store, item.id, &error, now).await {
                Ok(f) => f,
                // Delivered by another sender after our claim ran out: nothing to record.
                Err(StoreError::NotFound) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            match failure.retry_at {
                Some(at) => {
                    report.failed += 1;
                    // The error text can echo the recipient's address: it stays in the outbox, not the log.
                    tracing::info!(id = item.id, key = %item.dedupe_key, attempts = failure.attempts, retry_at = %at, "delivery failed, will retry");
                }
                None => {
                    report.gave_up += 1;
                    tracing::warn!(id = item.id, key = %item.dedupe_key, attempts = failure.attempts, "delivery failed for the last time");
                }
            }
        }
    }
    Ok(())
}

fn mailer(s: &SmtpConfig) -> AsyncSmtpTransport<Tokio1Executor> {
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.trim())
        .port(s.port)
        .timeout(Some(SEND_TIMEOUT));
    if let (Some(user), Some(pass)) = (&s.username, &s.password) {
        b = b.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    b.build()
}

async fn send_mail(
    mailer: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    item: &OutboxItem,
) -> Result<(), String> {
    let to: Mailbox = item
        .recipient
        .trim()
        .parse()
        .map_err(|e| format!("invalid recipient address `{}`: {e}", item.recipient))?;
    // One Message-ID per outbox item, the same on every retry, so a copy that a relay took
    // before a lost reply can be recognised as the same message.
    let message_id = format!("<qcity-outbox-{}@{}>", item.id, from.email.domain());
    let message = Message::builder()
        .message_id(Some(message_id))
        .from(from.clone())
        .to(to)
        .subject(item.subject.as_str())
        .header(ContentType::TEXT_PLAIN)
        .body(item.body.clone())
        .map_err(|e| format!("cannot build the message: {}", chain(&e)))?;
    mailer
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP: {}", chain(&e)))
}

async fn post_webhook(
    client: &reqwest::Client,
    hook: &WebhookConfig,
    item: &OutboxItem,
) -> Result<(), String> {
    let signature = sign(&hook.secret, item.body.as_bytes()).map_err(|e| e.to_string())?;
    let resp = client
        .post(hook.url.trim())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-QCity-Signature", signature)
        .header("X-QCity-Delivery", item.id.to_string())
        .body(item.body.clone())
        .send()
        .await
        .map_err(|e| format!("POST {}: {}", hook.url, chain(&e)))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    // The start of the answer usually says why; the outbox keeps it for the office.
    let text = resp.text().await.unwrap_or_default();
    let text: String = text.chars().take(200).collect();
    Err(format!("HTTP {status}: {}", text.trim()))
}

/// An error with its causes, which carry the useful part (connection refused, the SMTP reply).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let part = c.to_string();
        if !s.contains(&part) {
            s.push_str(": ");
            s.push_str(&part);
        }
        cur = c.source();
    }
    s
}

/// Runs [`deliver_once`] now and then every minute until the task is aborted (or the runtime
/// ends). Errors are logged and the next run tries again.
pub fn spawn(
    store: Store,
    cfg: DeliveryConfig,
    today: impl Fn() -> NaiveDate + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if cfg.is_empty() {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        // After a long pause (a suspended VM) run once, not a burst of missed runs.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match deliver_once(&store, &cfg, today()).await {
                Ok(r) if r.is_quiet() => {}
                Ok(r) => tracing::info!(
                    digests_queued = r.digests_queued,
                    webhooks_queued = r.webhooks_queued,
                    delivered = r.delivered,
                    failed = r.failed,
                    gave_up = r.gave_up,
                    skipped = r.skipped,
                    "notice delivery"
                ),
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "notice delivery run failed"),
            }
        }
    })
}
