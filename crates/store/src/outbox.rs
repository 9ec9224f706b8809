//! Outbound delivery of notices beyond the app itself (the daily e-mail digest, signed
//! webhooks, the WeCom and DingTalk group robots, SMS to unit liaisons), through the `outbox`
//! table.
//!
//! Every item has a dedupe key, so enqueueing is idempotent; a sender claims an item before
//! sending it (so two senders never send the same item at once), marks it delivered on success,
//! or failed with a back-off on failure. A delivered item is never picked again, and an item that
//! failed [`MAX_ATTEMPTS`] times stays undelivered with its last error for the office to see.
//!
//! Every function takes `now` instead of reading the clock, so the schedule can be tested
//! without sleeping.

use crate::{Actor, Result, Store, StoreError, parse_time, time_text};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

/// A failed item is tried at most this many times in all.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long a claimed item is reserved for its sender: longer than any send may take, so a
/// sender that dies mid-send only delays the item, and a slow one is never overtaken.
pub const CLAIM_LEASE: Duration = Duration::minutes(10);

/// Notices listed in one digest; the rest are counted, not listed (the app has them all).
const DIGEST_MAX_LISTED: usize = 100;

/// How many notices one `enqueue_webhooks` call turns into items; the next run takes the rest.
const WEBHOOK_BATCH: i64 = 500;

pub const CHANNEL_EMAIL: &str = "email";
pub const CHANNEL_WEBHOOK: &str = "webhook";
/// The district office's 企业微信 (WeCom) group robot: one markdown message per notice.
pub const CHANNEL_WECOM: &str = "wecom";
/// The district office's 钉钉 (DingTalk) group robot: one markdown message per notice.
pub const CHANNEL_DINGTALK: &str = "dingtalk";
/// An SMS gateway: one short text per notice to the unit liaison's mobile number.
pub const CHANNEL_SMS: &str = "sms";

/// Robots and SMS reach people, not systems: when a channel is first switched on, only notices
/// issued this many days before the business date or later are sent, not the whole history.
pub const CONNECTOR_LOOKBACK_DAYS: u64 = 7;

/// WeCom refuses markdown content over 4096 UTF-8 bytes (errcode 40058); DingTalk allows more,
/// and the same cap keeps both messages alike.
pub const ROBOT_MAX_BYTES: usize = 4096;

/// Characters of one SMS segment holding Chinese text (UCS-2), and how many segments a text
/// may take: the title only, so it fits in one or two; longer ones are cut.
pub const SMS_SEGMENT_CHARS: usize = 70;
pub const SMS_MAX_SEGMENTS: usize = 2;

/// The wait before the next try, given how many tries have failed so far; `None` when the item
/// has used up its attempts.
pub fn backoff(failed_attempts: i64) -> Option<Duration> {
    match failed_attempts {
        n if n >= MAX_ATTEMPTS => None,
        ..=1 => Some(Duration::minutes(1)),
        2 => Some(Duration::minutes(5)),
        3 => Some(Duration::minutes(30)),
        4 => Some(Duration::hours(2)),
        _ => Some(Duration::hours(12)),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    /// [`CHANNEL_EMAIL`], [`CHANNEL_WEBHOOK`], [`CHANNEL_WECOM`], [`CHANNEL_DINGTALK`] or
    /// [`CHANNEL_SMS`].
    pub channel: String,
    /// The e-mail address, the webhook endpoint at the time the item was made, the robot (its
    /// key or token masked) or the mobile number.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub dedupe_key: String,
    /// Failed tries so far.
    pub attempts: i64,
    pub next_attempt_at: String,
    pub delivered_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    /// `pending` (not tried yet), `retrying`, `delivered` or `failed` (gave up).
    pub state: &'static str,
}

const SELECT: &str = "SELECT id, channel, recipient, subject, body, dedupe_key, attempts, next_attempt_at, \
     delivered_at, last_error, created_at FROM outbox";

fn from_row(r: &sqlx::any::AnyRow) -> Result<OutboxItem> {
    let attempts: i64 = r.try_get("attempts")?;
    let delivered_at: Option<String> = r.try_get("delivered_at")?;
    let state = if delivered_at.is_some() {
        "delivered"
    } else if attempts >= MAX_ATTEMPTS {
        "failed"
    } else if attempts > 0 {
        "retrying"
    } else {
        "pending"
    };
    Ok(OutboxItem {
        id: r.try_get("id")?,
        channel: r.try_get("channel")?,
        recipient: r.try_get("recipient")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        dedupe_key: r.try_get("dedupe_key")?,
        attempts,
        next_attempt_at: r.try_get("next_attempt_at")?,
        delivered_at,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        state,
    })
}

/// An item to send.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub channel: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub dedupe_key: &'a str,
}

/// Queues an item, due at once, unless one with its dedupe key exists; true when it was new.
pub async fn enqueue(store: &Store, item: &NewItem<'_>, now: DateTime<Utc>) -> Result<bool> {
    let now = time_text(now);
    let res = sqlx::query(
        "INSERT INTO outbox (channel, recipient, subject, body, dedupe_key, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(item.channel)
    .bind(item.recipient)
    .bind(item.subject)
    .bind(item.body)
    .bind(item.dedupe_key)
    .bind(now)
    .execute(&store.pool)
    .await?;
    Ok(res.rows_affected() > 0)
}

/// The dedupe key of a unit's digest for a day.
pub fn digest_key(unit_code: &str, day: NaiveDate) -> String {
    format!("digest:{unit_code}:{day}")
}

/// The dedupe key of a notice's webhook.
pub fn webhook_key(notice_id: i64) -> String {
    format!("webhook:{notice_id}")
}

struct DigestLine {
    title: String,
    issued_on: String,
    respond_by: Option<String>,
}

/// Subject and plain-text body of a unit's digest.
fn digest_text(
    unit_code: &str,
    unit_name: &str,
    day: NaiveDate,
    lines: &[DigestLine],
) -> (String, String) {
    let n = lines.len();
    let subject = format!("【质量强区】{unit_name} {day} 待办提醒（{n} 条）");
    let mut body = format!(
        "{unit_name}：\n\n截至 {day}，贵单位在质量强区创建工作平台上有 {n} 条未读通知：\n\n"
    );
    for (i, l) in lines.iter().take(DIGEST_MAX_LISTED).enumerate() {
        body.push_str(&format!(
            "{}. {}\n   下发日期：{}",
            i + 1,
            l.title,
            l.issued_on
        ));
        if let Some(by) = &l.respond_by {
            body.push_str(&format!("；请于 {by} 前回复"));
        }
        body.push('\n');
    }
    if n > DIGEST_MAX_LISTED {
        body.push_str(&format!(
            "……另有 {} 条，请在平台上查看。\n",
            n - DIGEST_MAX_LISTED
        ));
    }
    body.push_str("\n请登录平台阅读并办理。本邮件由系统自动发送，请勿直接回复。\n\n");
    body.push_str(&format!(
        "QCity daily digest for {unit_code} on {day}: {n} unread notice(s); please sign in to the platform to read and act on them.\n"
    ));
    (subject, body)
}

/// Queues today's digest for every unit that has a contact e-mail and unread notices and has
/// no digest for `today` yet. Returns how many were queued.
///
/// A unit gets at most one digest a day: notices arriving after the day's digest was queued
/// go into the next day's.
pub async fn enqueue_digests(store: &Store, today: NaiveDate, now: DateTime<Utc>) -> Result<usize> {
    // Units that already have today's digest are skipped in SQL, so the per-minute run costs
    // one query once the day's digests exist.
    let units = sqlx::query(
        "SELECT u.id, u.code, u.name, u.contact_email FROM org_units u \
         WHERE u.contact_email <> '' \
           AND EXISTS (SELECT 1 FROM notices n WHERE n.unit_id = u.id AND n.read_at IS NULL) \
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = 'digest:' || u.code || ':' || $1) \
         ORDER BY u.id",
    )
    .bind(today.to_string())
    .fetch_all(&store.pool)
    .await?;
    let mut queued = 0;
    for u in &units {
        let unit_id: i64 = u.try_get("id")?;
        let code: String = u.try_get("code")?;
        let name: String = u.try_get("name")?;
        let email: String = u.try_get("contact_email")?;
        let rows = sqlx::query(
            "SELECT title, issued_on, respond_by FROM notices WHERE unit_id = $1 AND read_at IS NULL \
             ORDER BY issued_on, id",
        )
        .bind(unit_id)
        .fetch_all(&store.pool)
        .await?;
        let lines = rows
            .iter()
            .map(|r| {
                Ok(DigestLine {
                    title: r.try_get("title")?,
                    issued_on: r.try_get("issued_on")?,
                    respond_by: r.try_get("respond_by")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if lines.is_empty() {
            continue; // read in the meantime
        }
        let (subject, body) = digest_text(&code, &name, today, &lines);
        let key = digest_key(&code, today);
        let item = NewItem {
            channel: CHANNEL_EMAIL,
            recipient: email.trim(),
            subject: &subject,
            body: &body,
            dedupe_key: &key,
        };
        if enqueue(store, &item, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The JSON a webhook receives, fields in this order.
#[derive(Serialize)]
struct NoticeEvent<'a> {
    event: &'a str,
    id: i64,
    unit: String,
    kind: String,
    level: String,
    title: String,
    issued_on: String,
    obligation_id: Option<i64>,
    content_code: Option<String>,
}

/// Queues one webhook item for every notice that has none yet (at most a batch per call),
/// addressed to `endpoint`. Returns how many were queued.
///
/// The body is fixed when queued, so every retry posts (and signs) the same bytes.
pub async fn enqueue_webhooks(store: &Store, endpoint: &str, now: DateTime<Utc>) -> Result<usize> {
    let rows = sqlx::query(
        "SELECT n.id, u.code AS unit_code, n.kind, n.level, n.title, n.issued_on, n.obligation_id, o.content_code \
         FROM notices n JOIN org_units u ON u.id = n.unit_id LEFT JOIN obligations o ON o.id = n.obligation_id \
         WHERE NOT EXISTS (SELECT 1 FROM outbox x WHERE x.dedupe_key = 'webhook:' || CAST(n.id AS TEXT)) \
         ORDER BY n.id LIMIT $1",
    )
    .bind(WEBHOOK_BATCH)
    .fetch_all(&store.pool)
    .await?;
    let mut queued = 0;
    for r in &rows {
        let event = NoticeEvent {
            event: "notice",
            id: r.try_get("id")?,
            unit: r.try_get("unit_code")?,
            kind: r.try_get("kind")?,
            level: r.try_get("level")?,
            title: r.try_get("title")?,
            issued_on: r.try_get("issued_on")?,
            obligation_id: r.try_get("obligation_id")?,
            content_code: r.try_get("content_code")?,
        };
        let body = serde_json::to_string(&event)
            .map_err(|e| StoreError::invalid("webhook_body", &e.to_string()))?;
        let key = webhook_key(event.id);
        let subject = format!("notice {} {}", event.id, event.title);
        let item = NewItem {
            channel: CHANNEL_WEBHOOK,
            recipient: endpoint,
            subject: &subject,
            body: &body,
            dedupe_key: &key,
        };
        if enqueue(store, &item, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The dedupe key of a notice's WeCom robot message.
pub fn wecom_key(notice_id: i64) -> String {
    format!("{CHANNEL_WECOM}:{notice_id}")
}

/// The dedupe key of a notice's DingTalk robot message.
pub fn dingtalk_key(notice_id: i64) -> String {
    format!("{CHANNEL_DINGTALK}:{notice_id}")
}

/// The dedupe key of a notice's SMS (one per notice: it goes to the notice's unit).
pub fn sms_key(notice_id: i64) -> String {
    format!("{CHANNEL_SMS}:{notice_id}")
}

/// `s` cut to at most `max` UTF-8 bytes on a character boundary, ending with "…" when cut.
pub fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let room = max.saturating_sub('…'.len_utf8());
    let mut end = room.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s[..end].to_string();
    if max >= '…'.len_utf8() {
        out.push('…');
    }
    out
}

/// `s` cut to at most `max` characters, ending with "…" when cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    if max > 0 {
        out.push('…');
    }
    out
}

/// A mainland mobile number (11 digits starting with 1) from a contact's phone field, which
/// may also hold a landline, spaces, dashes or a +86 prefix; `None` when it is no mobile.
pub fn mobile_number(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .or_else(|| {
            (digits.len() == 13)
                .then(|| digits.strip_prefix("86"))
                .flatten()
        })
        .unwrap_or(&digits);
    (digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| digits.to_string())
}

/// A notice as the robots and SMS tell it.
struct NoticeRow {
    id: i64,
    unit_code: String,
    unit_name: String,
    contact_phone: String,
    title: String,
    body: String,
    issued_on: String,
    respond_by: Option<String>,
    content_code: Option<String>,
}

/// Queues an item on `channel` (recipient and body from `make`) for each notice issued since
/// the lookback day that has none yet, in id order, until a batch is queued or none are left;
/// returns how many it queued. Pages by id, so notices `make` skips (`None`: a unit without a
/// mobile number) never hide later ones.
async fn enqueue_per_notice(
    store: &Store,
    channel: &'static str,
    today: NaiveDate,
    now: DateTime<Utc>,
    make: impl Fn(&NoticeRow) -> Option<(String, String)>,
) -> Result<usize> {
    let since = today
        .checked_sub_days(chrono::Days::new(CONNECTOR_LOOKBACK_DAYS))
        .unwrap_or(today);
    // The channel is one of this module's constants, never input: safe to splice.
    let sql = format!(
        "SELECT n.id, u.code AS unit_code, u.name AS unit_name, u.contact_phone, n.title, n.body, \
         n.issued_on, n.respond_by, o.content_code \
         FROM notices n JOIN org_units u ON u.id = n.unit_id LEFT JOIN obligations o ON o.id = n.obligation_id \
         WHERE n.issued_on >= $1 AND n.id > $2 \
           AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.dedupe_key = '{channel}:' || CAST(n.id AS TEXT)) \
         ORDER BY n.id LIMIT $3"
    );
    let mut after = 0_i64;
    let mut queued = 0;
    loop {
        let rows = sqlx::query(&sql)
            .bind(since.to_string())
            .bind(after)
            .bind(WEBHOOK_BATCH)
            .fetch_all(&store.pool)
            .await?;
        for r in &rows {
            let n = NoticeRow {
                id: r.try_get("id")?,
                unit_code: r.try_get("unit_code")?,
                unit_name: r.try_get("unit_name")?,
                contact_phone: r.try_get("contact_phone")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                issued_on: r.try_get("issued_on")?,
                respond_by: r.try_get("respond_by")?,
                content_code: r.try_get("content_code")?,
            };
            after = n.id;
            let Some((recipient, body)) = make(&n) else {
                continue;
            };
            let key = format!("{channel}:{}", n.id);
            let item = NewItem {
                channel,
                recipient: &recipient,
                subject: &n.title,
                body: &body,
                dedupe_key: &key,
            };
            if enqueue(store, &item, now).await? {
                queued += 1;
            }
        }
        if (rows.len() as i64) < WEBHOOK_BATCH || queued as i64 >= WEBHOOK_BATCH {
            return Ok(queued);
        }
    }
}

/// The markdown a group robot posts for a notice, at most [`ROBOT_MAX_BYTES`]; `br` is the line
/// break the robot's markdown needs (DingTalk joins single newlines into one paragraph).
fn robot_markdown(n: &NoticeRow, br: &str) -> String {
    // Line breaks in a title would break the heading.
    let title = n.title.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut head = format!(
        "### {title}{br}**单位**：{}（{}）{br}**下发日期**：{}",
        n.unit_name, n.unit_code, n.issued_on
    );
    if let Some(code) = &n.content_code {
        head.push_str(&format!("{br}**事项**：{code}"));
    }
    if let Some(by) = &n.respond_by {
        head.push_str(&format!("{br}**回复期限**：{by}"));
    }
    let tail = format!("{br}请登录质量强区平台查看办理。");
    let body = n.body.trim();
    let text = if body.is_empty() {
        format!("{head}{tail}")
    } else {
        // The body gives way first, so the heading and the closing line survive.
        let room = ROBOT_MAX_BYTES.saturating_sub(head.len() + tail.len() + 2 * br.len());
        format!("{head}{br}{br}{}{tail}", truncate_bytes(body, room))
    };
    truncate_bytes(&text, ROBOT_MAX_BYTES)
}

async fn enqueue_robot(
    store: &Store,
    channel: &'static str,
    recipient: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    enqueue_per_notice(store, channel, today, now, |n| {
        let body = if channel == CHANNEL_DINGTALK {
            let title = truncate_chars(&n.title, 64);
            serde_json::json!({
                "msgtype": "markdown",
                "markdown": { "title": title, "text": robot_markdown(n, "\n\n") },
            })
        } else {
            serde_json::json!({
                "msgtype": "markdown",
                "markdown": { "content": robot_markdown(n, "\n") },
            })
        }
        .to_string();
        Some((recipient.to_string(), body))
    })
    .await
}

/// Queues one WeCom robot message (the JSON body WeCom takes, fixed when queued) for every
/// notice issued within [`CONNECTOR_LOOKBACK_DAYS`] that has none yet. `recipient` names the
/// robot for the office, without its key. Returns how many were queued.
pub async fn enqueue_wecom(
    store: &Store,
    recipient: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    enqueue_robot(store, CHANNEL_WECOM, recipient, today, now).await
}

/// The same for the DingTalk robot (its JSON body; the signature is made at each send, since
/// it carries the time).
pub async fn enqueue_dingtalk(
    store: &Store,
    recipient: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    enqueue_robot(store, CHANNEL_DINGTALK, recipient, today, now).await
}

/// Queues one SMS for every notice issued within [`CONNECTOR_LOOKBACK_DAYS`] whose unit's
/// liaison has a mobile number (see [`mobile_number`]) and that has none yet. The body is the
/// notice's title, at most [`SMS_MAX_SEGMENTS`] segments; the gateway's template is applied
/// when sending. Returns how many were queued.
pub async fn enqueue_sms(store: &Store, today: NaiveDate, now: DateTime<Utc>) -> Result<usize> {
    enqueue_per_notice(store, CHANNEL_SMS, today, now, |n| {
        let mobile = mobile_number(&n.contact_phone)?;
        let title = n.title.split_whitespace().collect::<Vec<_>>().join(" ");
        Some((
            mobile,
            truncate_chars(&title, SMS_SEGMENT_CHARS * SMS_MAX_SEGMENTS),
        ))
    })
    .await
}

/// Undelivered items due at `now` that still have attempts left, oldest due first.
pub async fn pending(store: &Store, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxItem>> {
    pending_query(store, None, now, limit).await
}

/// The same for one channel, so a channel that is not configured (its items wait) does not
/// fill the batch of one that is.
pub async fn pending_on(
    store: &Store,
    channel: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxItem>> {
    pending_query(store, Some(channel), now, limit).await
}

async fn pending_query(
    store: &Store,
    channel: Option<&str>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxItem>> {
    let only = if channel.is_some() {
        "AND channel = $4"
    } else {
        ""
    };
    let sql = format!(
        "{SELECT} WHERE delivered_at IS NULL AND attempts < $1 AND next_attempt_at <= $2 {only} \
         ORDER BY next_attempt_at, id LIMIT $3"
    );
    let mut q = sqlx::query(&sql)
        .bind(MAX_ATTEMPTS)
        .bind(time_text(now))
        .bind(limit.max(0));
    if let Some(c) = channel {
        q = q.bind(c);
    }
    q.fetch_all(&store.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Reserves a pending item for the caller for [`CLAIM_LEASE`]; false when another sender took
/// it (or it was delivered) since it was read. Send only what you claimed.
pub async fn claim(store: &Store, item: &OutboxItem, now: DateTime<Utc>) -> Result<bool> {
    // Compare-and-set on the due time read with the item: only one sender can move it.
    let res = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 \
         WHERE id = $2 AND delivered_at IS NULL AND attempts < $3 AND next_attempt_at = $4",
    )
    .bind(time_text(now + CLAIM_LEASE))
    .bind(item.id)
    .bind(MAX_ATTEMPTS)
    .bind(&item.next_attempt_at)
    .execute(&store.pool)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Records a successful send; false when the item was already delivered (nothing changes then).
pub async fn mark_delivered(store: &Store, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let res =
        sqlx::query("UPDATE outbox SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL")
            .bind(time_text(now))
            .bind(id)
            .execute(&store.pool)
            .await?;
    Ok(res.rows_affected() == 1)
}

/// What a failure led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Failed tries so far, this one included.
    pub attempts: i64,
    /// When it will be tried again; `None` when it has used up its attempts.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Records a failed send: one more attempt, the error, and the next try after [`backoff`].
/// `NotFound` when there is no undelivered item with this id.
pub async fn mark_failed(
    store: &Store,
    id: i64,
    error: &str,
    now: DateTime<Utc>,
) -> Result<Failure> {
    // Error texts can carry a whole HTTP answer; the office needs the gist.
    let error: String = error.chars().take(500).collect();
    let mut tx = store.begin().await?;
    let attempts: i64 = sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2 AND delivered_at IS NULL \
         RETURNING attempts",
    )
    .bind(&error)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?
    .try_get("attempts")?;
    let retry_at = backoff(attempts).map(|d| now + d);
    sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE id = $2")
        .bind(time_text(retry_at.unwrap_or(now)))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Failure { attempts, retry_at })
}

/// Which items the office looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Everything, newest first.
    Recent,
    /// Undelivered items that have failed at least once (retrying or given up), most tried first.
    Failed,
}

/// The outbox for the office.
pub async fn list(store: &Store, actor: &Actor, view: View, limit: i64) -> Result<Vec<OutboxItem>> {
    actor.require_admin()?;
    let sql = match view {
        View::Recent => format!("{SELECT} ORDER BY created_at DESC, id DESC LIMIT $1"),
        View::Failed => format!(
            "{SELECT} WHERE delivered_at IS NULL AND attempts > 0 ORDER BY attempts DESC, next_attempt_at, id LIMIT $1"
        ),
    };
    sqlx::query(&sql)
        .bind(limit.max(0))
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// One item by id, for the office.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<OutboxItem> {
    actor.require_admin()?;
    let sql = format!("{SELECT} WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

impl OutboxItem {
    pub fn next_attempt(&self) -> Option<DateTime<Utc>> {
        parse_time(&self.next_attempt_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_characters_and_marks_the_cut() {
        assert_eq!(truncate_bytes("督办单", 9), "督办单");
        // 8 bytes: room for "督" (3) and "…" (3), not for "办".
        assert_eq!(truncate_bytes("督办单", 8), "督…");
        assert_eq!(truncate_bytes("ab督办", 6), "ab…");
        assert_eq!(truncate_bytes("督办单", 2), "");
        let long = "质量".repeat(3000);
        let cut = truncate_bytes(&long, ROBOT_MAX_BYTES);
        assert!(cut.len() <= ROBOT_MAX_BYTES && cut.ends_with('…'));
        assert_eq!(truncate_chars("质量强区", 4), "质量强区");
        assert_eq!(truncate_chars("质量强区建设", 4), "质量强…");
    }

    #[test]
    fn only_mainland_mobile_numbers_get_an_sms() {
        for (phone, mobile) in [
            ("13800001111", Some("13800001111")),
            ("138-0000-1111", Some("13800001111")),
            ("+86 138 0000 1111", Some("13800001111")),
            ("8613800001111", Some("13800001111")),
            ("0371-63211234", None),
            ("1380000111", None),
            ("", None),
            ("23800001111", None),
        ] {
            assert_eq!(mobile_number(phone).as_deref(), mobile, "{phone}");
        }
    }
}
