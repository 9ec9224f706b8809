//! Delivery of notices beyond the app: a daily e-mail digest per unit over SMTP, a signed
//! webhook per notice, a message per notice to the office's WeCom and DingTalk group robots and
//! an SMS per notice to the unit's liaison through an HTTP gateway, all through the store's
//! outbox (which makes them idempotent and retries failures with a back-off).
//!
//! This module uses only other crates (no `crate::` paths), so the integration tests compile
//! the same file and drive it against a real SMTP server and a real HTTP endpoint.

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use qcity_store::outbox::{
    self, CHANNEL_DINGTALK, CHANNEL_EMAIL, CHANNEL_SMS, CHANNEL_WEBHOOK, CHANNEL_WECOM, OutboxItem,
};
use qcity_store::{Store, StoreError};
use sha2::Sha256;
use std::fmt;
use std::time::Duration;

/// How many due items of one channel one run sends; the next run (a minute later) takes more.
const BATCH: i64 = 100;

/// Due robot messages one run sends: WeCom and DingTalk each take at most 20 messages a minute
/// per robot (more are refused, DingTalk then blocks the robot for 10 minutes); runs are a
/// minute apart, and the margin covers a run that starts late.
const ROBOT_BATCH: i64 = 15;

/// The robots' documented endpoints (`--wecom-url`, `--dingtalk-url` replace them).
pub const WECOM_URL: &str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send";
pub const DINGTALK_URL: &str = "https://oapi.dingtalk.com/robot/send";

/// One send may take this long; well inside the outbox's claim lease.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Where notices go besides the app. Each channel is off when `None`.
#[derive(Clone, Default)]
pub struct DeliveryConfig {
    pub smtp: Option<SmtpConfig>,
    pub webhook: Option<WebhookConfig>,
    pub wecom: Option<WecomConfig>,
    pub dingtalk: Option<DingtalkConfig>,
    pub sms: Option<SmsConfig>,
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

/// The office's 企业微信 group robot.
#[derive(Clone)]
pub struct WecomConfig {
    /// The send endpoint without `?key=`: [`WECOM_URL`], or an `http://` proxy that forwards to it.
    pub url: String,
    /// The robot's key (the `key` of its webhook address): whoever has it can post to the group.
    pub key: String,
}

/// The office's 钉钉 group robot.
#[derive(Clone)]
pub struct DingtalkConfig {
    /// The send endpoint without a query: [`DINGTALK_URL`], or an `http://` proxy to it.
    pub url: String,
    /// The robot's `access_token`.
    pub token: String,
    /// The robot's signing secret (加签, `SEC…`), when the robot is set up with one.
    pub secret: Option<String>,
}

/// An SMS gateway that takes one message per HTTP POST.
#[derive(Clone)]
pub struct SmsConfig {
    pub url: String,
    /// The request body with `{phone}`, `{text}` and `{id}` (the outbox item, the same on
    /// every retry) in it, e.g. `{"to":"{phone}","text":"{text}"}`.
    pub template: String,
    pub format: SmsFormat,
}

/// How the SMS body is sent, and so how the placeholders are escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsFormat {
    /// `application/json`: values are JSON string contents (the template puts the quotes).
    Json,
    /// `application/x-www-form-urlencoded`: values are form-encoded.
    Form,
}

// Hand-written so that a logged config never shows a password, secret, key or token.
impl fmt::Debug for DeliveryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("smtp", &self.smtp)
            .field("webhook", &self.webhook)
            .field("wecom", &self.wecom)
            .field("dingtalk", &self.dingtalk)
            .field("sms", &self.sms)
            .finish()
    }
}

impl fmt::Debug for WecomConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WecomConfig")
            .field("url", &self.url)
            .field("key", &"***")
            .finish()
    }
}

impl fmt::Debug for DingtalkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DingtalkConfig")
            .field("url", &self.url)
            .field("token", &"***")
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

impl fmt::Debug for SmsConfig {
    // The gateway's URL and template may carry its credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsConfig")
            .field("url", &"***")
            .field("template", &"***")
            .field("format", &self.format)
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
        self.smtp.is_none()
            && self.webhook.is_none()
            && self.wecom.is_none()
            && self.dingtalk.is_none()
            && self.sms.is_none()
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
            if !matches!(url.scheme(), "http" | "https") {
                bail!(
                    "webhook URL `{}`: give an http:// or https:// address",
                    w.url
                );
            }
            if w.secret.is_empty() {
                bail!("the webhook secret must not be empty");
            }
        }
        if let Some(w) = &self.wecom {
            http_endpoint("WeCom robot", "--wecom-url", &w.url, false)?;
            credential("the WeCom robot key", &w.key)?;
        }
        if let Some(d) = &self.dingtalk {
            http_endpoint("DingTalk robot", "--dingtalk-url", &d.url, false)?;
            credential("the DingTalk access token", &d.token)?;
            if let Some(secret) = &d.secret {
                credential("the DingTalk secret", secret)?;
            }
        }
        if let Some(s) = &self.sms {
            // The gateway's own credentials may ride in its query.
            http_endpoint("SMS gateway", "--sms-url", &s.url, true)?;
            if !(s.template.contains("{phone}") && s.template.contains("{text}")) {
                bail!("the SMS template must contain {{phone}} and {{text}}");
            }
            if s.format == SmsFormat::Json {
                // Placeholders are filled as string contents: the rest must already be JSON.
                let sample = sms_body(s, "13800001111", "测试 \"text\"\n", 1);
                serde_json::from_str::<serde_json::Value>(&sample).map_err(|e| {
                    anyhow!(
                        "the SMS template is not JSON once filled in ({e}); put the placeholders \
                         inside quotes, e.g. {{\"to\":\"{{phone}}\",\"text\":\"{{text}}\"}}"
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// An `http://` URL (this build has no TLS client) without query or fragment, which the sender
/// adds or would lose. Errors name the flag, not the URL: its query may hold a credential.
fn http_endpoint(what: &str, flag: &str, url: &str, query_allowed: bool) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim())
        .with_context(|| format!("{what} URL ({flag}) is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("{what} URL ({flag}): give an http:// or https:// address");
    }
    if parsed.fragment().is_some() || (!query_allowed && parsed.query().is_some()) {
        bail!(
            "{what} URL ({flag}): give the endpoint without `?…`; the key goes in its own setting"
        );
    }
    Ok(parsed)
}

/// A key, token or secret: not empty, no whitespace (a pasted line break would break the URL).
fn credential(what: &str, value: &str) -> Result<()> {
    if value.is_empty() || value.chars().any(char::is_whitespace) {
        bail!("{what} must not be empty or contain spaces");
    }
    Ok(())
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
    pub wecom_queued: usize,
    pub dingtalk_queued: usize,
    pub sms_queued: usize,
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

/// The `timestamp` (milliseconds) and `sign` query parameters of a signed DingTalk robot call:
/// `sign` is Base64(HMAC-SHA256(key = secret, message = "{timestamp}\n{secret}")), which goes
/// URL-encoded into the query (`append_pair` form-encodes it, as the doc's Python sample's
/// `quote_plus` does). DingTalk refuses a timestamp more than an hour from its clock.
/// Doc: open.dingtalk.com/document/robots/customize-robot-security-settings (加签).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| anyhow!("DingTalk secret unusable: {e}"))?;
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// The DingTalk send URL with the token and, for a robot with a secret, the signature at
/// `timestamp_ms`. It holds the token: never log it.
pub fn dingtalk_url(d: &DingtalkConfig, timestamp_ms: i64) -> Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(d.url.trim()).context("DingTalk URL")?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("access_token", &d.token);
        if let Some(secret) = &d.secret {
            q.append_pair("timestamp", &timestamp_ms.to_string());
            q.append_pair("sign", &dingtalk_sign(secret, timestamp_ms)?);
        }
    }
    Ok(url)
}

/// The WeCom send URL with the robot's key (doc: developer.work.weixin.qq.com/document/path/91770).
/// It holds the key: never log it.
fn wecom_url(w: &WecomConfig) -> Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(w.url.trim()).context("WeCom URL")?;
    url.query_pairs_mut().append_pair("key", &w.key);
    Ok(url)
}

/// How the office sees a robot on /notices: its endpoint and the last characters of its key or
/// token, enough to tell two robots apart, not to post to them.
pub fn robot_recipient(url: &str, credential: &str) -> String {
    let n = credential.chars().count();
    let hint = if n >= 12 {
        let tail: String = credential.chars().skip(n - 4).collect();
        format!("…{tail}")
    } else {
        "…".to_string()
    };
    format!("{} ({hint})", url.trim())
}

/// The SMS request body: the template with `{phone}`, `{text}` and `{id}` filled in, each value
/// escaped for the body's format; other braces (a JSON template's own) are kept. One pass, so a
/// text that contains `{phone}` stays text.
pub fn sms_body(s: &SmsConfig, phone: &str, text: &str, id: i64) -> String {
    let escape = |v: &str| match s.format {
        SmsFormat::Json => {
            let quoted = serde_json::Value::from(v).to_string();
            quoted[1..quoted.len() - 1].to_string()
        }
        SmsFormat::Form => form_urlencoded::byte_serialize(v.as_bytes()).collect(),
    };
    let id = id.to_string();
    let mut out = String::with_capacity(s.template.len() + text.len() * 2);
    let mut rest = s.template.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let hit = [("{phone}", phone), ("{text}", text), ("{id}", id.as_str())]
            .into_iter()
            .find(|(p, _)| after.starts_with(p));
        match hit {
            Some((p, v)) => {
                out.push_str(&escape(v));
                rest = &after[p.len()..];
            }
            None => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Queues what is due as configured (today's digests, one webhook, robot message and SMS per
/// new notice), then sends what is due now.
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
    if cfg.wecom.is_none() && cfg.dingtalk.is_none() && cfg.sms.is_none() {
        return Ok(report);
    }
    let client = reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("QCity/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client")?;
    if let Some(w) = &cfg.wecom {
        let recipient = robot_recipient(&w.url, &w.key);
        report.wecom_queued = outbox::enqueue_wecom(store, &recipient, today, now).await?;
        for item in outbox::pending_on(store, CHANNEL_WECOM, now, ROBOT_BATCH).await? {
            if claim(store, &item, now, &mut report).await? {
                let sent = match wecom_url(w) {
                    Ok(url) => post_robot(&client, "WeCom", url, &item).await,
                    Err(e) => Err(format!("{e:#}")),
                };
                settle(store, &item, sent, now, &mut report).await?;
            }
        }
    }
    if let Some(d) = &cfg.dingtalk {
        let recipient = robot_recipient(&d.url, &d.token);
        report.dingtalk_queued = outbox::enqueue_dingtalk(store, &recipient, today, now).await?;
        for item in outbox::pending_on(store, CHANNEL_DINGTALK, now, ROBOT_BATCH).await? {
            if claim(store, &item, now, &mut report).await? {
                // Signed at each try: the signature carries the time of the call.
                let sent = match dingtalk_url(d, now.timestamp_millis()) {
                    Ok(url) => post_robot(&client, "DingTalk", url, &item).await,
                    Err(e) => Err(format!("{e:#}")),
                };
                settle(store, &item, sent, now, &mut report).await?;
            }
        }
    }
    if let Some(s) = &cfg.sms {
        report.sms_queued = outbox::enqueue_sms(store, today, now).await?;
        for item in outbox::pending_on(store, CHANNEL_SMS, now, BATCH).await? {
            if claim(store, &item, now, &mut report).await? {
                let sent = post_sms(&client, s, &item).await;
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

/// Posts a robot message (the JSON queued with the item) to `url`. Both robots answer HTTP 200
/// with `{"errcode":0,"errmsg":"ok"}` on success; any other errcode is a failure to retry
/// (93000 invalid key, 45009 rate limit, 310000 bad signature …).
async fn post_robot(
    client: &reqwest::Client,
    robot: &str,
    url: reqwest::Url,
    item: &OutboxItem,
) -> Result<(), String> {
    // The URL holds the key or token: errors are told without it.
    let resp = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(item.body.clone())
        .send()
        .await
        .map_err(|e| format!("{robot}: {}", chain(&e.without_url())))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| format!("{robot}: HTTP {status}: {}", chain(&e.without_url())))?;
    let gist: String = text.trim().chars().take(200).collect();
    if !status.is_success() {
        return Err(format!("{robot}: HTTP {status}: {gist}"));
    }
    let answer: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    match answer.as_ref().and_then(|a| a.get("errcode")?.as_i64()) {
        Some(0) => Ok(()),
        Some(code) => {
            let msg = answer
                .as_ref()
                .and_then(|a| a.get("errmsg")?.as_str())
                .unwrap_or_default();
            let msg: String = msg.chars().take(200).collect();
            Err(format!("{robot}: errcode {code}: {msg}"))
        }
        None => Err(format!("{robot}: unexpected answer: {gist}")),
    }
}

/// Posts an SMS through the gateway; any 2xx answer means it took the message.
async fn post_sms(
    client: &reqwest::Client,
    s: &SmsConfig,
    item: &OutboxItem,
) -> Result<(), String> {
    let content_type = match s.format {
        SmsFormat::Json => "application/json; charset=utf-8",
        SmsFormat::Form => "application/x-www-form-urlencoded",
    };
    // The gateway URL may carry its credentials: errors are told without it.
    let resp = client
        .post(s.url.trim())
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(sms_body(s, item.recipient.trim(), &item.body, item.id))
        .send()
        .await
        .map_err(|e| format!("SMS gateway: {}", chain(&e.without_url())))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let text = resp.text().await.unwrap_or_default();
    let text: String = text.chars().take(200).collect();
    Err(format!("SMS gateway: HTTP {status}: {}", text.trim()))
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

/// Runs [`deliver_once`] now and then `every` (a minute; tests shorten it) until the task is
/// aborted (or the runtime ends). Errors are logged and the next run tries again. Every app
/// server on one database runs this: enqueueing is idempotent by dedupe key and each item is
/// claimed before it is sent, so each goes out once.
pub fn spawn(
    store: Store,
    cfg: DeliveryConfig,
    every: Duration,
    today: impl Fn() -> NaiveDate + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if cfg.is_empty() {
            return;
        }
        let mut tick = tokio::time::interval(every);
        // After a long pause (a suspended VM) run once, not a burst of missed runs.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match deliver_once(&store, &cfg, today()).await {
                Ok(r) if r.is_quiet() => {}
                Ok(r) => tracing::info!(
                    digests_queued = r.digests_queued,
                    webhooks_queued = r.webhooks_queued,
                    wecom_queued = r.wecom_queued,
                    dingtalk_queued = r.dingtalk_queued,
                    sms_queued = r.sms_queued,
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
