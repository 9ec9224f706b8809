//! Each role's landing page: its work queues first (what is waiting for this person today),
//! then the plan's phase and the next deadlines. A leader's page opens with the headline.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::view::PageCtx;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Months, NaiveDate};
use qcity_domain::acceptance::Readiness;
use qcity_domain::plan::Plan;
use qcity_domain::role::Role;
use qcity_domain::supervision::{ObligationStatus, Tally};
use qcity_domain::target::{Status, StatusCounts};
use qcity_store::obligations::{self, Filter, Obligation};
use qcity_store::units::{self, Unit};

/// Items a queue lists on the home page; the rest are behind its link.
const SHOWN: usize = 5;

/// One line of a work queue.
#[derive(Clone)]
pub struct QueueItem {
    pub text: String,
    pub href: String,
    pub note: String,
}

/// A work queue: what waits, how many, where to deal with it.
#[derive(Clone)]
pub struct Queue {
    /// Its element id (tests and the browser find it by this).
    pub id: &'static str,
    pub title: String,
    pub count: usize,
    pub href: String,
    pub items: Vec<QueueItem>,
    /// Shown when nothing waits.
    pub empty: String,
    /// Whether something waiting here is late (the count is shown in red).
    pub urgent: bool,
}

/// The leader's headline: the figures of the district on the business date, each with its
/// change since the same day a month earlier, and where it stands against the acceptance.
#[derive(Clone)]
pub struct Headline {
    pub completion: String,
    pub completion_change: String,
    pub on_time: String,
    pub on_time_change: String,
    pub overdue: usize,
    pub indicators: Vec<(&'static str, String, usize)>,
    pub readiness: String,
    /// The units with most overdue work: (code, name, overdue).
    pub behind: Vec<(String, String, usize)>,
}

#[derive(Template, Clone)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    my_unit: Option<Unit>,
    plan_title: String,
    phase: String,
    headline: Option<Headline>,
    queues: Vec<Queue>,
    due_soon: Vec<crate::pages::plan::ContentRow>,
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    state
        .views
        .page(
            &state,
            &ctx,
            "home",
            true,
            |p: &mut HomePage| &mut p.ctx,
            |state, ctx| async move { home_page(&state, &ctx).await },
        )
        .await
}

/// The home page's figures and queues (kept at the data's watermark by the caller).
async fn home_page(state: &AppState, ctx: &Ctx) -> Result<HomePage, AppError> {
    let user = ctx.user()?;
    let actor = ctx.actor();
    let my_unit = match &user.unit_code {
        Some(code) => Some(units::get(&state.store, &actor, code).await?),
        None => None,
    };
    let plan = state.plan_of(actor.owner_id).await?.map(|(_, p)| p);
    let (plan_title, phase) = match &plan {
        Some(p) => (p.plan.title.clone(), phase_text(ctx, p)),
        None => (String::new(), String::new()),
    };
    let mut queues = Vec::new();
    let mut headline = None;
    if let Some(plan) = &plan {
        match user.role {
            Role::Unit => queues = unit_queues(state, ctx, plan).await?,
            Role::Office => queues = office_queues(state, ctx, plan).await?,
            Role::Leader => headline = Some(leader_headline(state, ctx, plan).await?),
            Role::Evaluator => {}
        }
    }
    if user.role == Role::Evaluator {
        queues = evaluator_queues(state, ctx).await?;
    }
    let due_soon = match &plan {
        Some(plan) if user.role != Role::Evaluator => due_soon(ctx, plan, user),
        _ => vec![],
    };
    Ok(HomePage {
        ctx: ctx.page(),
        my_unit,
        plan_title,
        phase,
        headline,
        queues,
        due_soon,
    })
}

/// The plan's phase on the business date, in words.
pub fn phase_text(ctx: &Ctx, plan: &Plan) -> String {
    plan.phases
        .iter()
        .find(|p| p.start <= ctx.today && ctx.today <= p.end)
        .map(|p| format!("{} ({} – {})", p.name, p.start, p.end))
        .unwrap_or_else(|| ctx.t("home-no-phase"))
}

/// An obligation as a queue line: its content's code and opening words, the unit when the
/// reader sees several, and a note (days overdue, due date …).
fn ob_item(plan: &Plan, o: &Obligation, with_unit: bool, note: String) -> QueueItem {
    let text: String = plan
        .content(&o.content_code)
        .map(|c| c.text.chars().take(32).collect())
        .unwrap_or_default();
    let unit = if with_unit {
        format!(" · {}", o.unit_name)
    } else {
        String::new()
    };
    QueueItem {
        text: format!("{} {text}{unit}", o.content_code),
        href: format!("/obligations/{}", o.id),
        note,
    }
}

fn queue(
    ctx: &Ctx,
    id: &'static str,
    title: &str,
    href: &str,
    items: Vec<QueueItem>,
    urgent: bool,
) -> Queue {
    let count = items.len();
    Queue {
        id,
        title: ctx.t(title),
        count,
        href: href.into(),
        urgent: urgent && count > 0,
        items: items.into_iter().take(SHOWN).collect(),
        empty: ctx.t("home-queue-empty"),
    }
}

async fn list(state: &AppState, ctx: &Ctx, f: Filter) -> Result<Vec<Obligation>, AppError> {
    Ok(obligations::list(&state.store, &ctx.actor(), &f, ctx.today).await?)
}

/// A unit's day: what is overdue, what falls due this week, what came back, and the notices
/// that wait for an answer.
async fn unit_queues(state: &AppState, ctx: &Ctx, plan: &Plan) -> Result<Vec<Queue>, AppError> {
    let today = ctx.today;
    let days = |n: i64| {
        ctx.lang
            .t_args("home-days-overdue", &[("n", n.to_string())])
    };
    let mut overdue = list(
        state,
        ctx,
        Filter {
            overdue_only: true,
            ..Default::default()
        },
    )
    .await?;
    overdue.sort_by_key(|o| std::cmp::Reverse(o.days_overdue(today)));
    let week = list(
        state,
        ctx,
        Filter {
            open_only: true,
            due_by: Some(today + Duration::days(7)),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .filter(|o| !o.overdue(today));
    let returned = list(
        state,
        ctx,
        Filter {
            status: Some(ObligationStatus::Returned),
            ..Default::default()
        },
    )
    .await?;
    // Notices that ask something of the unit: those awaiting its answer first, then the unread
    // escalations by severity. Routine registry alerts (the daily licence-expiry digest) are
    // the registry's business and stay on the notices page.
    let awaiting =
        |n: &qcity_store::notices::Notice| n.respond_by.is_some() && n.response.is_none();
    let severity = |level: &str| match level {
        "red" => 0,
        "yellow" => 1,
        "blue" => 2,
        _ => 3,
    };
    let mut notices: Vec<_> = qcity_store::notices::list(&state.store, &ctx.actor(), None)
        .await?
        .into_iter()
        .filter(|n| {
            !qcity_store::notices::ROUTINE_KINDS.contains(&n.kind.as_str())
                && (!n.read || awaiting(n))
        })
        .collect();
    notices.sort_by_key(|n| (!awaiting(n), severity(&n.level), std::cmp::Reverse(n.id)));
    let notices = notices.into_iter();
    Ok(vec![
        queue(
            ctx,
            "queue-overdue",
            "home-q-overdue",
            "/obligations?view=overdue",
            overdue
                .iter()
                .map(|o| ob_item(plan, o, false, days(o.days_overdue(today))))
                .collect(),
            true,
        ),
        queue(
            ctx,
            "queue-week",
            "home-q-week",
            "/obligations",
            week.map(|o| {
                let note = ctx
                    .lang
                    .t_args("home-due-on", &[("date", o.due_date.clone())]);
                ob_item(plan, &o, false, note)
            })
            .collect(),
            false,
        ),
        queue(
            ctx,
            "queue-returned",
            "home-q-returned",
            "/obligations?status=returned",
            returned
                .iter()
                .map(|o| ob_item(plan, o, false, ctx.t("ob-status-returned")))
                .collect(),
            true,
        ),
        queue(
            ctx,
            "queue-notices",
            "home-q-notices",
            "/notices",
            notices
                .map(|n| QueueItem {
                    note: match &n.respond_by {
                        Some(by) if n.response.is_none() => {
                            ctx.lang.t_args("home-respond-by", &[("date", by.clone())])
                        }
                        _ => n.issued_on.clone(),
                    },
                    text: n.title,
                    href: "/notices".into(),
                })
                .collect(),
            false,
        ),
    ])
}

/// The office's day: reports to review, extension requests, indicator values to approve, and
/// notices that could not be delivered.
async fn office_queues(state: &AppState, ctx: &Ctx, plan: &Plan) -> Result<Vec<Queue>, AppError> {
    let actor = ctx.actor();
    let submitted = list(
        state,
        ctx,
        Filter {
            status: Some(ObligationStatus::Submitted),
            ..Default::default()
        },
    )
    .await?;
    let extensions = obligations::extensions(&state.store, &actor, None, true).await?;
    let values = qcity_store::indicators::pending(&state.store, &actor).await?;
    let (disclosure, waiting) =
        qcity_store::sampling::awaiting_disclosure_queue(&state.store, &actor, SHOWN).await?;
    let mut disclosure_items = Vec::new();
    for id in &disclosure {
        let r = qcity_store::sampling::record(&state.store, &actor, *id).await?;
        disclosure_items.push(QueueItem {
            text: format!("{} · {}", r.enterprise_name, r.product),
            href: format!("/sampling/{id}"),
            note: r.sampled_on,
        });
    }
    let mut disclosure_queue = queue(
        ctx,
        "queue-disclosure",
        "home-q-disclosure",
        "/sampling?failed=1&review=1",
        disclosure_items,
        false,
    );
    disclosure_queue.count = usize::try_from(waiting).unwrap_or(0);
    let failed =
        qcity_store::outbox::list(&state.store, &actor, qcity_store::outbox::View::Failed, 50)
            .await?;
    let indicator_name = |code: &str| {
        plan.indicators
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    Ok(vec![
        queue(
            ctx,
            "queue-review",
            "home-q-review",
            "/supervision",
            submitted
                .iter()
                .map(|o| {
                    let note = o.submitted_on.clone().unwrap_or_default();
                    ob_item(plan, o, true, note)
                })
                .collect(),
            false,
        ),
        queue(
            ctx,
            "queue-extensions",
            "home-q-extensions",
            "/supervision",
            extensions
                .into_iter()
                .map(|e| QueueItem {
                    text: e.reason,
                    href: format!("/obligations/{}", e.obligation_id),
                    note: ctx.lang.t_args("home-extension-to", &[("date", e.new_due)]),
                })
                .collect(),
            false,
        ),
        queue(
            ctx,
            "queue-values",
            "home-q-values",
            "/indicators#pending",
            values
                .into_iter()
                .map(|v| QueueItem {
                    text: format!("{} · {}", indicator_name(&v.indicator), v.year),
                    href: format!("/indicators/{}", v.indicator),
                    note: v
                        .unit_code
                        .and_then(|c| plan.units.iter().find(|u| u.code == c))
                        .map(|u| u.name.clone())
                        .unwrap_or_default(),
                })
                .collect(),
            false,
        ),
        disclosure_queue,
        queue(
            ctx,
            "queue-deliveries",
            "home-q-deliveries",
            "/notices",
            failed
                .into_iter()
                .map(|d| QueueItem {
                    text: d.subject.clone(),
                    href: "/notices".into(),
                    note: d.last_error.clone().unwrap_or_default(),
                })
                .collect(),
            true,
        ),
    ])
}

/// An evaluator's day: the open rating windows and whether the sheet was handed in.
async fn evaluator_queues(state: &AppState, ctx: &Ctx) -> Result<Vec<Queue>, AppError> {
    let actor = ctx.actor();
    let mut items = Vec::new();
    for w in qcity_store::assessment::windows(&state.store, &actor).await? {
        if !w.is_open(ctx.today) {
            continue;
        }
        let done = qcity_store::assessment::submitted(&state.store, &actor, w.id).await?;
        items.push(QueueItem {
            note: if done {
                ctx.t("home-sheet-submitted")
            } else {
                ctx.lang
                    .t_args("home-sheet-closes", &[("date", w.closes_on.clone())])
            },
            href: format!("/assessment/windows/{}/sheet", w.id),
            text: w.title,
        });
    }
    Ok(vec![queue(
        ctx,
        "queue-windows",
        "home-q-windows",
        "/assessment",
        items,
        false,
    )])
}

/// A change of a rate in percentage points, in words ("较上月 +3.1 个百分点"), or "—" when either
/// month has nothing expected.
fn change_text(ctx: &Ctx, now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => {
            let d = ((a - b) * 10.0).round() / 10.0;
            let d = if d == 0.0 { 0.0 } else { d };
            ctx.lang
                .t_args("home-change-pp", &[("delta", format!("{d:+.1}"))])
        }
        _ => ctx.t("home-change-none"),
    }
}

/// The leader's headline for the home page: gathers what [`headline`] reads.
pub async fn leader_headline(
    state: &AppState,
    ctx: &Ctx,
    plan: &Plan,
) -> Result<Headline, AppError> {
    let actor = ctx.actor();
    let today = ctx.today;
    let tallies = obligations::tallies_sql(&state.store, &actor, today).await?;
    let now: Tally = tallies.district();
    let obs = qcity_store::indicators::observations_of(&state.store, &actor, plan, today).await?;
    let standings = qcity_store::indicators::evaluate(plan, &obs, today);
    let counts = StatusCounts::of(standings.iter().map(|s| s.evaluation.status));
    let late = overdue_by_unit(&tallies, plan);
    let readiness = qcity_store::acceptance::readiness(&state.store, &actor, today).await?;
    let before = month_ago_tally(state, ctx).await?;
    Ok(headline(
        ctx,
        &now,
        &before,
        counts,
        &late,
        readiness.as_ref(),
    ))
}

/// The district's tally as of the same day a month before the business date (较上月).
pub async fn month_ago_tally(state: &AppState, ctx: &Ctx) -> Result<Tally, AppError> {
    Ok(obligations::district_tally(&state.store, &ctx.actor(), month_ago(ctx.today)).await?)
}

/// The same day a month before (the last day of a shorter month), for 较上月.
pub fn month_ago(today: NaiveDate) -> NaiveDate {
    today.checked_sub_months(Months::new(1)).unwrap_or(today)
}

/// Overdue obligations by unit, most first: (code, name, overdue), from the district's
/// counted figures (the same 逾期 as the overview's), not from a list of every late obligation.
pub fn overdue_by_unit(
    tallies: &obligations::Tallies,
    plan: &Plan,
) -> Vec<(String, String, usize)> {
    let mut out: Vec<_> = tallies
        .by_unit
        .iter()
        .filter(|(_, t)| t.overdue > 0)
        .map(|(code, t)| {
            let name = plan
                .unit(code)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| code.clone());
            (code.clone(), name, t.overdue)
        })
        .collect();
    out.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    out
}

/// The leader's headline (the home page and the top of the leaders' view) from the figures the
/// caller has read: the district's tally now and a month ago, the indicator status counts, the
/// overdue obligations and the acceptance readiness.
pub fn headline(
    ctx: &Ctx,
    now: &Tally,
    before: &Tally,
    counts: StatusCounts,
    behind: &[(String, String, usize)],
    readiness: Option<&(String, Readiness)>,
) -> Headline {
    let indicators = counts
        .rows()
        .iter()
        .filter(|(s, _)| {
            matches!(
                s,
                Status::Met | Status::OnTrack | Status::OffTrack | Status::NotMet
            )
        })
        .map(|(s, n)| (s.key(), crate::view::status_label(ctx.lang, s.key()), *n))
        .collect();
    let behind = behind.iter().take(3).cloned().collect();
    Headline {
        completion: now.completion_text(),
        completion_change: change_text(ctx, now.completion_rate(), before.completion_rate()),
        on_time: now.on_time_text(),
        on_time_change: change_text(ctx, now.on_time_rate(), before.on_time_rate()),
        overdue: now.overdue,
        indicators,
        readiness: readiness_text(ctx, readiness),
        behind,
    }
}

/// The acceptance self-check's score against its pass line, in words.
fn readiness_text(ctx: &Ctx, readiness: Option<&(String, Readiness)>) -> String {
    let Some((stage, r)) = readiness else {
        return ctx.t("leader-readiness-none");
    };
    let stage = ctx.t(&format!("acc-stage-{stage}"));
    let score = crate::pages::assessment::pts(r.score);
    match r.pass_line {
        _ if r.vetoed => ctx
            .lang
            .t_args("home-readiness-vetoed", &[("stage", stage)]),
        Some(line) if r.score >= line => ctx.lang.t_args(
            "home-readiness-above",
            &[
                ("stage", stage),
                ("score", score),
                ("line", crate::pages::assessment::pts(line)),
            ],
        ),
        Some(line) => ctx.lang.t_args(
            "home-readiness-below",
            &[
                ("stage", stage),
                ("score", score),
                ("line", crate::pages::assessment::pts(line)),
                ("gap", crate::pages::assessment::pts(line - r.score)),
            ],
        ),
        None => ctx.lang.t_args(
            "home-readiness-no-line",
            &[
                ("stage", stage),
                ("score", score),
                (
                    "total",
                    crate::pages::assessment::pts(r.base_total + r.bonus_max),
                ),
            ],
        ),
    }
}

/// The next deadlines after the business date: for a unit its own, else everyone's.
fn due_soon(
    ctx: &Ctx,
    plan: &Plan,
    user: &qcity_store::users::User,
) -> Vec<crate::pages::plan::ContentRow> {
    let lang = crate::view::target_lang(&ctx.page());
    let mine: Option<Vec<String>> = user
        .unit_code
        .as_ref()
        .filter(|_| user.role == Role::Unit)
        .map(|code| {
            plan.contents_led_by(code)
                .iter()
                .chain(plan.contents_supported_by(code).iter())
                .map(|c| c.code.clone())
                .collect()
        });
    let mut upcoming: Vec<_> = plan
        .contents()
        .filter(|(_, _, c)| mine.as_ref().is_none_or(|m| m.contains(&c.code)))
        .filter_map(|(cat, item, c)| {
            c.deadline
                .periods(plan.plan.recurring_until)
                .into_iter()
                .map(|p| p.due)
                .find(|d| *d >= ctx.today)
                .map(|d| (d, cat, item, c))
        })
        .collect();
    upcoming.sort_by_key(|(d, _, _, c)| (*d, c.code.clone()));
    upcoming
        .into_iter()
        .take(8)
        .map(|(_, cat, item, c)| {
            crate::pages::plan::content_row(plan, &cat.title, &item.title, c, lang)
        })
        .collect()
}
