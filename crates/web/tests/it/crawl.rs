//! Every page of the demo, as each role sees it, in both languages: no rate above 100 %, no
//! recorded date after the business date, no internal code and no wrong unit on any page
//! (`docs/figures.md`). The crawl follows the links a user can click, from the home page.

use crate::harness::{ADMIN_PASSWORD, TestApp};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::schema::DemoCtx;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const TODAY: (i32, u32, u32) = (2014, 12, 15);
/// Pages of one shape (digits replaced) visited per role and language: enough to see every
/// template with real data, not all 500 obligations.
const PER_SHAPE: usize = 2;
const MAX_PAGES: usize = 160;

/// The text a reader sees: tags, scripts and styles removed, entities decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        let tag = &rest[lt..];
        // Scripts and styles are not text; a rule file being edited (textarea) and the plan's
        // target notation shown to the office (code) are the office's own notation.
        let skip_to = ["<script", "<style", "<title", "<textarea", "<code"]
            .iter()
            .find(|t| tag.starts_with(**t))
            .map(|t| format!("</{}", &t[1..]));
        let end = match skip_to {
            Some(close) => tag
                .find(&close)
                .and_then(|i| tag[i..].find('>').map(|j| i + j)),
            None => tag.find('>'),
        };
        match end {
            Some(e) => rest = &tag[e + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
}

/// Up to 40 characters either side of the first place `what` occurs, on one line.
fn around(text: &str, what: &str) -> String {
    let Some(i) = text.find(what) else {
        return String::new();
    };
    let before: String = text[..i]
        .chars()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[i..].chars().take(what.chars().count() + 40).collect();
    format!("{before}{after}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Links to follow: same-site GET pages, not downloads, sign-out or the API.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let Some(end) = part.find('"') else { continue };
        let href = part[..end].replace("&amp;", "&");
        let path = href.split('#').next().unwrap_or("").to_string();
        let download = [
            ".xlsx", ".docx", ".csv", ".pdf", ".json", ".xml", ".png", ".jpg", ".svg", ".ics",
        ]
        .iter()
        .any(|e| path.split('?').next().unwrap_or("").ends_with(e));
        if path.starts_with('/')
            && !path.starts_with("//")
            && !download
            && !path.starts_with("/logout")
            && !path.starts_with("/api")
            && !path.starts_with("/static")
            && !path.starts_with("/metrics")
            && !path.contains("/files/")
        {
            out.push(path);
        }
    }
    out
}

/// A path with every run of digits replaced: pages of one template share a shape.
fn shape(path: &str) -> String {
    let mut s = String::new();
    let mut in_digits = false;
    for c in path.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                s.push('#');
            }
            in_digits = true;
        } else {
            s.push(c);
            in_digits = false;
        }
    }
    s
}

/// Numbers followed by "%" (a rate or share as shown).
fn percentages(text: &str) -> Vec<f64> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if *c != '%' {
            continue;
        }
        let mut j = i;
        while j > 0 && chars[j - 1] == ' ' {
            j -= 1;
        }
        let end = j;
        while j > 0 && (chars[j - 1].is_ascii_digit() || chars[j - 1] == '.') {
            j -= 1;
        }
        if j < end {
            let n: String = chars[j..end].iter().collect();
            if let Ok(v) = n.parse::<f64>() {
                out.push(v);
            }
        }
    }
    out
}

/// Full dates written as 2014-12-15 or 2014年12月15日.
fn dates(text: &str) -> Vec<(NaiveDate, String)> {
    let mut out = Vec::new();
    // ISO dates exactly: four digits, two, two, not inside a longer number.
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    for i in 0..b.len().saturating_sub(9) {
        let shape_ok = (0..10).all(|k| {
            if k == 4 || k == 7 {
                b[i + k] == b'-'
            } else {
                digit(i + k)
            }
        });
        if shape_ok
            && (i == 0 || !digit(i - 1))
            && !digit(i + 10)
            && let Some(s) = text.get(i..i + 10)
            && let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        {
            out.push((d, s.to_string()));
        }
    }
    for (i, _) in text.match_indices('年') {
        let year = text[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>();
        let year: String = year.chars().rev().collect();
        let rest = &text[i + '年'.len_utf8()..];
        let month: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let rest = &rest[month.len()..];
        let Some(rest) = rest.strip_prefix('月') else {
            continue;
        };
        let day: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if rest[day.len()..].starts_with('日')
            && let (Ok(y), Ok(m), Ok(d)) = (year.parse(), month.parse(), day.parse())
            && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
        {
            out.push((date, format!("{year}年{month}月{day}日")));
        }
    }
    out
}

/// ASCII words of the text (letters, digits, underscores).
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The codes that must never reach a reader: the target language's part labels, status keys
/// and the stored labels of records.
fn internal_codes(plan: &qcity_domain::plan::Plan) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    // Indicators' labels here; every content's target (content targets among them) below.
    for ind in &plan.indicators {
        if let Ok(t) = ind.target.parsed() {
            for m in qcity_domain::indicator::measures(t) {
                if !m.label.is_empty() {
                    codes.insert(m.label);
                }
            }
        }
    }
    for (_, _, c) in plan.contents() {
        if let Some(t) = c
            .target
            .as_deref()
            .and_then(|t| qcity_domain::target::parse(t).ok())
        {
            for m in qcity_domain::indicator::measures(&t) {
                if !m.label.is_empty() {
                    codes.insert(m.label);
                }
            }
        }
    }
    for s in qcity_domain::target::Status::ALL {
        codes.insert(s.key().to_string());
    }
    for k in [
        "not_started",
        "in_progress",
        "submitted",
        "returned",
        "accepted",
        "cuiban",
        "duban",
        "tongbao",
        "large_medium",
    ] {
        codes.insert(k.to_string());
    }
    // Words that are also English (a status "submitted" reads as the word in the English UI).
    codes
}

/// What a page shows wrongly: (kind, detail).
fn problems(
    text: &str,
    lang: &str,
    today: NaiveDate,
    future_ok: &BTreeSet<NaiveDate>,
    codes: &BTreeSet<String>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for p in percentages(text) {
        if p > 100.0 + 1e-9 {
            out.push(("rate above 100 %", format!("{p}%")));
        }
    }
    for (d, written) in dates(text) {
        if d > today && !future_ok.contains(&d) {
            out.push(("date after the business date", written));
        }
    }
    let ws = words(text);
    for c in codes {
        // English words the English UI uses as words are fine there.
        let english_word = !c.contains('_') && lang == "en";
        if ws.contains(c) && !english_word {
            out.push(("internal code", c.clone()));
        }
    }
    for w in &ws {
        if w.contains('_') && w.chars().any(|c| c.is_ascii_lowercase()) {
            out.push(("internal code", w.clone()));
        }
    }
    for bad in ["ug/m3", "NaN", "inf%", "undefined"] {
        if text.contains(bad) {
            out.push(("wrong unit or value", bad.to_string()));
        }
    }
    for w in &ws {
        // A number glued to a unit word of the target language ("80.75score", "2count").
        for unit in ["score", "count", "days", "rank"] {
            if let Some(n) = w.strip_suffix(unit)
                && !n.is_empty()
                && n.chars().all(|c| c.is_ascii_digit() || c == '.')
            {
                out.push(("wrong unit", w.clone()));
            }
        }
    }
    if lang == "zh-CN" {
        // A count or a rank with decimals ("1.5个", "2.5名").
        for (i, _) in text.match_indices(['个', '名']) {
            let before: String = text[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if before.contains('.') && before.chars().any(|c| c.is_ascii_digit()) {
                let n: String = before.chars().rev().collect();
                out.push(("wrong unit", format!("{n}{}", &text[i..i + 3])));
            }
        }
    }
    out
}

/// Dates after the business date that are rightly shown: deadlines and what falls due later.
async fn future_dates(
    store: &qcity_store::Store,
    plan: &qcity_domain::plan::Plan,
) -> BTreeSet<NaiveDate> {
    let mut out = BTreeSet::new();
    for p in &plan.phases {
        out.insert(p.start);
        out.insert(p.end);
    }
    out.insert(plan.plan.start);
    out.insert(plan.plan.end);
    let columns = [
        ("obligations", "due_date"),
        ("obligations", "original_due"),
        ("obligations", "start_date"),
        ("notices", "respond_by"),
        ("licences", "expires"),
        ("blacklist", "until_on"),
        ("assessment_windows", "closes_on"),
        ("acceptance_rectifications", "deadline"),
        // A requested new deadline is a date in the future by nature.
        ("extension_requests", "new_due"),
        // A complaint's stage deadlines, shown while the stage runs.
        ("complaint_tickets", "sign_due"),
        ("complaint_tickets", "reply_due"),
        ("complaint_tickets", "close_due"),
    ];
    for (table, col) in columns {
        let rows = sqlx::query(&format!("SELECT DISTINCT {col} AS d FROM {table}"))
            .fetch_all(&store.pool)
            .await
            .unwrap();
        for r in rows {
            use sqlx::Row;
            if let Ok(Some(s)) = r.try_get::<Option<String>, _>("d")
                && let Ok(d) = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            {
                out.insert(d);
            }
        }
    }
    out
}

#[tokio::test]
async fn no_page_of_the_demo_shows_a_wrong_figure_date_code_or_unit() {
    let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap();
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    let ctx = DemoCtx { today };
    for seed in app.store.demos() {
        seed(&app.store, &ctx).await.unwrap();
    }
    qcity_store::notices::supervise(&app.store, today, &Default::default())
        .await
        .unwrap();
    let (_, plan) = qcity_store::plan::current(&app.store)
        .await
        .unwrap()
        .unwrap();
    let future_ok = future_dates(&app.store, &plan).await;
    let codes = internal_codes(&plan);
    let clients = [
        ("office", app.login("admin", ADMIN_PASSWORD).await),
        ("unit", app.user("zj.crawl", Role::Unit, Some("ZJFJ")).await),
        ("leader", app.user("leader.crawl", Role::Leader, None).await),
        (
            "evaluator",
            app.user("eval.crawl", Role::Evaluator, None).await,
        ),
        ("public", reqwest::Client::new()),
    ];
    let mut found: BTreeMap<(String, &'static str, String), String> = BTreeMap::new();
    let mut visited_total = 0;
    for (role, client) in &clients {
        for lang in ["zh-CN", "en"] {
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
            let start = if *role == "public" { "/public" } else { "/" };
            let mut queue = VecDeque::from([start.to_string()]);
            while let Some(path) = queue.pop_front() {
                if seen.len() >= MAX_PAGES || !seen.insert(path.clone()) {
                    continue;
                }
                let n = shapes.entry(shape(&path)).or_default();
                if *n >= PER_SHAPE {
                    continue;
                }
                *n += 1;
                let res = client
                    .get(app.url(&path))
                    .header("Accept-Language", lang)
                    .send()
                    .await
                    .unwrap();
                let html_page = res
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("text/html"));
                if !res.status().is_success() || !html_page {
                    continue;
                }
                visited_total += 1;
                let html = res.text().await.unwrap();
                // A page's title is text, never markup.
                let title = html
                    .split("<title>")
                    .nth(1)
                    .and_then(|t| t.split("</title>").next())
                    .unwrap_or("");
                if title.contains('<') || title.trim().is_empty() {
                    found
                        .entry((shape(&path), "page title", title.chars().take(60).collect()))
                        .or_insert_with(|| format!("{role} {lang} {path}"));
                }
                let text = visible_text(&html);
                // The audit trail keeps real time, as the issue asks (who did what, when).
                let audit = path.starts_with("/admin/audit");
                for (kind, detail) in problems(&text, lang, today, &future_ok, &codes) {
                    if audit && kind == "date after the business date" {
                        continue;
                    }
                    let context = around(&text, &detail);
                    found
                        .entry((shape(&path), kind, detail))
                        .or_insert_with(|| format!("{role} {lang} {path} «{context}»"));
                }
                queue.extend(links(&html));
            }
        }
    }
    assert!(
        visited_total > 100,
        "the crawl reached {visited_total} pages"
    );
    let report: Vec<String> = found
        .iter()
        .map(|((_, kind, detail), at)| format!("{kind}: {detail} — {at}"))
        .collect();
    assert!(
        report.is_empty(),
        "{} problems:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn the_scanners_find_what_they_look_for() {
    let text = visible_text(
        "<p>完成率 112.5%</p><script>var x = '2026-01-01';</script><td>2015年1月2日</td>",
    );
    assert_eq!(percentages(&text), vec![112.5]);
    assert_eq!(
        dates(&text),
        vec![(
            NaiveDate::from_ymd_opt(2015, 1, 2).unwrap(),
            "2015年1月2日".to_string()
        )]
    );
    assert!(dates("12014-12-150 2014-1-5").is_empty());
    let today = NaiveDate::from_ymd_opt(2014, 12, 15).unwrap();
    let codes = BTreeSet::from(["pm25".to_string(), "met".to_string()]);
    let p = problems(
        "80.75score 1.5个 large_medium pm25 2026-12-06 met",
        "zh-CN",
        today,
        &BTreeSet::new(),
        &codes,
    );
    let kinds: BTreeSet<&str> = p.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "wrong unit",
            "internal code",
            "date after the business date"
        ])
    );
    assert_eq!(p.iter().filter(|(k, _)| *k == "internal code").count(), 3);
    // "met" is a word in the English UI.
    let en = problems("met", "en", today, &BTreeSet::new(), &codes);
    assert!(en.is_empty());
    assert_eq!(shape("/obligations/123?x=4"), "/obligations/#?x=#");
    assert_eq!(
        links(
            "<a href=\"/a?b=1&amp;c=2#x\">a</a><a href=\"/x.xlsx\">x</a><a href=\"/logout\">o</a>"
        ),
        vec!["/a?b=1&c=2".to_string()]
    );
}
