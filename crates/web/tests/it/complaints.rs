//! Quality complaints, the store layer (`qcity_store::complaints`): intake, routing, the
//! transitions through the domain's `apply`, scoping per district and unit, masked personal
//! data, photos, credit events, the working-day clock, and the kept dashboard counts.

use crate::harness::TestApp;
use chrono::NaiveDate;
use qcity_domain::complaints::disputes::{CaseEvent, CaseKind, CaseStatus};
use qcity_domain::complaints::supervisors::Appointment;
use qcity_domain::complaints::ticket::{
    Channel, Event, EventKind, Finding, Outcome, Satisfaction, Stage, Status, Warning,
};
use qcity_domain::plan::DistrictSpec;
use qcity_domain::registry::CodeList;
use qcity_domain::role::Role;
use qcity_store::complaints::{self, NewTicket, Queue, counts, registers};
use qcity_store::demo::registers::demo_uscc;
use qcity_store::enterprises::{self, EnterpriseInput};
use qcity_store::{Actor, StoreError, plan};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT id FROM org_units WHERE code = $1")
        .bind(code)
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

async fn unit(app: &TestApp, code: &str) -> Actor {
    Actor {
        role: Some(Role::Unit),
        unit_id: Some(unit_id(app, code).await),
        owner_id: None,
        ..Actor::system(code)
    }
}

fn office() -> Actor {
    Actor::system("office")
}

fn public() -> Actor {
    Actor::anonymous("127.0.0.1", "r")
}

fn complaint(text: &str) -> NewTicket {
    NewTicket {
        text: text.into(),
        contact_name: "张三".into(),
        contact_phone: "13812345678".into(),
        contact_email: "zhang.san@example.com".into(),
        ..Default::default()
    }
}

fn code_of(e: StoreError) -> String {
    match e {
        StoreError::Invalid { code, .. } => code,
        StoreError::Conflict(key) => key,
        other => format!("{other:?}"),
    }
}

async fn no_drift(app: &TestApp, step: &str) {
    let drift = counts::drift(&app.store).await.unwrap();
    assert!(drift.is_empty(), "after {step}: {drift:?}");
}

#[tokio::test]
async fn a_complaint_runs_from_the_public_form_to_a_credit_event() {
    let app = TestApp::with_plan().await;
    let d0 = day("2026-03-02");
    let uscc = demo_uscc(801);
    let input = EnterpriseInput {
        code: uscc.clone(),
        name: "郑州惠济电梯维保有限公司".into(),
        address: "惠济区长兴路1号".into(),
        town: "长兴路街道".into(),
        ..Default::default()
    };
    let enterprise = enterprises::create(&app.store, &office(), &input, d0)
        .await
        .unwrap();

    // The public files; the classifier and the catalogue send it to 质监 at once.
    let new = NewTicket {
        enterprise_code: uscc.to_lowercase(),
        ..complaint("小区电梯经常困人，物业不管，电梯维保公司也不来修")
    };
    let got = complaints::intake(&app.store, &public(), &new, d0)
        .await
        .unwrap();
    assert_eq!(got.number, "2026-000001");
    assert_eq!(got.category.as_deref(), Some("special_equipment"));
    assert_eq!(got.unit.as_deref(), Some("ZJFJ"));
    assert_eq!(got.status, Status::Dispatched);
    assert_eq!(got.code.len(), 8);
    // Only the hash of the code is kept.
    let stored: String =
        sqlx::query_scalar("SELECT code_hash FROM complaint_tickets WHERE id = $1")
            .bind(got.id)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_ne!(stored, got.code);
    // The public may not pick an internal channel.
    let hotline = NewTicket {
        channel: Some(Channel::Hotline12345),
        ..complaint("电梯困人")
    };
    assert!(matches!(
        complaints::intake(&app.store, &public(), &hotline, d0).await,
        Err(StoreError::Forbidden)
    ));
    let second = complaints::intake(&app.store, &office(), &hotline, d0)
        .await
        .unwrap();
    assert_eq!(second.number, "2026-000002");

    // The unit was told; the office's notice names the number.
    let titles: Vec<String> =
        sqlx::query_scalar("SELECT title FROM notices WHERE unit_id = $1 AND kind = 'complaint'")
            .bind(unit_id(&app, "ZJFJ").await)
            .fetch_all(&app.store.pool)
            .await
            .unwrap();
    assert!(
        titles.iter().any(|t| t.contains("2026-000001")),
        "{titles:?}"
    );

    // The public lookup needs the code, and shows no personal data.
    let status = complaints::public_status(&app.store, &got.number, &got.code, d0)
        .await
        .unwrap();
    assert_eq!(status.status, Status::Dispatched);
    assert_eq!(
        status.events.iter().map(|e| e.1).collect::<Vec<_>>(),
        vec![EventKind::Accept, EventKind::Dispatch]
    );
    assert!(status.expected.is_some());
    assert!(matches!(
        complaints::public_status(&app.store, &got.number, "WRONGCODE", d0).await,
        Err(StoreError::NotFound)
    ));

    // Another unit can neither act on it nor read its contact.
    let zj = unit(&app, "ZJFJ").await;
    let nw = unit(&app, "NW").await;
    let err = complaints::act(&app.store, &nw, got.id, &Event::Sign, d0)
        .await
        .unwrap_err();
    assert_eq!(code_of(err), "error-complaint-not-your-ticket");
    assert!(matches!(
        complaints::contact(&app.store, &nw, got.id).await,
        Err(StoreError::Forbidden)
    ));
    assert!(matches!(
        complaints::get(&app.store, &nw, got.id, d0).await,
        Err(StoreError::NotFound)
    ));

    // Read masked; the handling unit sees the contact unmasked, and that is audited.
    let view = complaints::get(&app.store, &zj, got.id, d0).await.unwrap();
    assert_eq!(view.contact_phone, "138****5678");
    assert_eq!(view.contact_name, "张*");
    assert_eq!(view.allowed.first(), Some(&EventKind::Sign));
    let contact = complaints::contact(&app.store, &zj, got.id).await.unwrap();
    assert_eq!(contact.phone, "13812345678");
    let views: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'complaint.contact_view' AND target_id = $1",
    )
    .bind(&got.number)
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(views, 1);

    // The flow: a reply before signing is refused with the domain's key.
    let err = complaints::act(
        &app.store,
        &office(),
        got.id,
        &Event::Visit {
            satisfaction: Satisfaction::Satisfied,
        },
        d0,
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(err), "error-complaint-not-allowed");
    let err = complaints::act(&app.store, &zj, got.id, &Event::Sign, day("2026-03-01"))
        .await
        .unwrap_err();
    assert_eq!(code_of(err), "error-complaint-date-order");
    let d1 = day("2026-03-03");
    let boss = office();
    let steps: Vec<(&Actor, Event)> = vec![
        (&zj, Event::Sign),
        (&zj, Event::Handle),
        (
            &zj,
            Event::Reply {
                finding: Finding::Substantiated,
            },
        ),
        (
            &boss,
            Event::Visit {
                satisfaction: Satisfaction::Satisfied,
            },
        ),
        (&boss, Event::Close),
    ];
    for (who, event) in &steps {
        complaints::act(&app.store, who, got.id, event, d1)
            .await
            .unwrap_or_else(|e| panic!("{event:?}: {e:?}"));
    }
    let view = complaints::get(&app.store, &office(), got.id, d1)
        .await
        .unwrap();
    assert_eq!(view.status, Status::Closed);
    assert!(
        view.clock.iter().all(|(_, o)| o.is_on_time()),
        "{:?}",
        view.clock
    );
    let history = complaints::events(&app.store, &office(), got.id)
        .await
        .unwrap();
    assert_eq!(history.len(), 7);
    assert_eq!(history[1].unit_code.as_deref(), Some("ZJFJ"));
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE target_type = 'complaint' AND target_id = $1",
    )
    .bind(&got.number)
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1 + 7 + 1, "intake, seven events, one contact view");

    // A substantiated complaint against a registered enterprise is in its credit file, once.
    let credit = qcity_store::credit::events(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        enterprise,
    )
    .await
    .unwrap();
    assert_eq!(credit.len(), 1, "{credit:?}");
    assert_eq!(credit[0].source, "complaint");
    assert!(credit[0].summary.contains("2026-000001"));
    no_drift(&app, "the flow").await;
}

#[tokio::test]
async fn vague_texts_wait_in_triage_and_the_category_routes_them() {
    let app = TestApp::with_plan().await;
    let d0 = day("2026-03-02");
    let got = complaints::intake(&app.store, &public(), &complaint("投诉商家"), d0)
        .await
        .unwrap();
    assert_eq!(got.status, Status::Accepted);
    assert_eq!(got.unit, None);
    let triage = complaints::queue(&app.store, &office(), Queue::Triage, d0)
        .await
        .unwrap();
    assert_eq!(
        triage.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![got.id]
    );
    assert!(matches!(
        complaints::set_category(&app.store, &unit(&app, "ZJFJ").await, got.id, "price", d0).await,
        Err(StoreError::Forbidden)
    ));
    let err = complaints::set_category(&app.store, &office(), got.id, "nonsense", d0)
        .await
        .unwrap_err();
    assert_eq!(code_of(err), "error-catalogue-unknown-category");
    let status = complaints::set_category(&app.store, &office(), got.id, "price", d0)
        .await
        .unwrap();
    assert_eq!(status, Status::Dispatched);
    let fg = unit(&app, "FGTJJ").await;
    let queue = complaints::queue(&app.store, &fg, Queue::Open, d0)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    // A category change re-routes to the new unit; the old one no longer has it.
    complaints::set_category(&app.store, &office(), got.id, "food", d0)
        .await
        .unwrap();
    let queue = complaints::queue(&app.store, &fg, Queue::Open, d0)
        .await
        .unwrap();
    assert!(queue.is_empty());
    let sy = unit(&app, "SYFJ").await;
    let queue = complaints::queue(&app.store, &sy, Queue::Open, d0)
        .await
        .unwrap();
    assert_eq!(queue[0].unit_code.as_deref(), Some("SYFJ"));

    // Two send-backs make a dispatch dispute; the office decides; no more send-backs.
    let back = Event::SendBack {
        reason: "不属本单位职责".into(),
    };
    complaints::act(&app.store, &sy, got.id, &back, d0)
        .await
        .unwrap();
    complaints::act(
        &app.store,
        &office(),
        got.id,
        &Event::Redispatch {
            unit: "SYFJ".into(),
        },
        d0,
    )
    .await
    .unwrap();
    let status = complaints::act(&app.store, &sy, got.id, &back, d0)
        .await
        .unwrap();
    assert_eq!(status, Status::Disputed);
    let err = complaints::act(
        &app.store,
        &office(),
        got.id,
        &Event::DecideDispute {
            unit: "NOSUCH".into(),
        },
        d0,
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(err), "error-complaint-unit-unknown");
    complaints::act(
        &app.store,
        &office(),
        got.id,
        &Event::DecideDispute {
            unit: "SYFJ".into(),
        },
        d0,
    )
    .await
    .unwrap();
    let err = complaints::act(&app.store, &sy, got.id, &back, d0)
        .await
        .unwrap_err();
    assert_eq!(code_of(err), "error-complaint-dispute-decided");
    no_drift(&app, "triage").await;
}

#[tokio::test]
async fn duplicates_merge_into_the_older_ticket_and_count_as_repeats() {
    let app = TestApp::with_plan().await;
    let d0 = day("2026-03-02");
    let text = "超市出售过期食品，买到的牛奶已经过期";
    let older = complaints::intake(&app.store, &public(), &complaint(text), d0)
        .await
        .unwrap();
    let newer = complaints::intake(&app.store, &public(), &complaint(text), day("2026-03-03"))
        .await
        .unwrap();
    let err = complaints::act(
        &app.store,
        &office(),
        older.id,
        &Event::Merge { into: newer.id },
        day("2026-03-03"),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(err), "error-merge-into-newer");
    complaints::act(
        &app.store,
        &office(),
        newer.id,
        &Event::Merge { into: older.id },
        day("2026-03-03"),
    )
    .await
    .unwrap();
    let d = counts::dashboard(&app.store, &office(), "2026-03", "2026-03")
        .await
        .unwrap();
    assert_eq!((d.total.tickets, d.total.repeats), (2, 1));
    assert_eq!(d.total.repeat_rate().percent(), Some(50.0));
    no_drift(&app, "merge").await;
}

#[tokio::test]
async fn another_district_keeps_its_own_tickets_numbers_and_units() {
    let app = TestApp::with_plan().await;
    let d0 = day("2026-03-02");
    let ours = complaints::intake(
        &app.store,
        &public(),
        &complaint("电梯困人，维保不到位"),
        d0,
    )
    .await
    .unwrap();
    let spec = DistrictSpec {
        code: "JINSHUI".into(),
        name: "金水区".into(),
        prefix: "JS".into(),
        plan_code: "jinshui-2014".into(),
    };
    plan::add_district(&app.store, &Actor::system("t"), &spec, d0)
        .await
        .unwrap();
    let js = unit_id(&app, "JINSHUI").await;
    let js_office = Actor {
        role: Some(Role::Office),
        unit_id: Some(js),
        owner_id: Some(js),
        ..Actor::system("js")
    };
    // Their office finds none of ours, for reading or acting.
    assert!(matches!(
        complaints::get(&app.store, &js_office, ours.id, d0).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        complaints::act(&app.store, &js_office, ours.id, &Event::Close, d0).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        complaints::contact(&app.store, &js_office, ours.id).await,
        Err(StoreError::NotFound)
    ));
    // Their tickets are numbered on their own and routed to their own units.
    let public_js = Actor {
        owner_id: Some(js),
        ..public()
    };
    let theirs = complaints::intake(
        &app.store,
        &public_js,
        &complaint("电梯困人，维保不到位"),
        d0,
    )
    .await
    .unwrap();
    assert_eq!(theirs.number, "2026-000001");
    let routed = theirs.unit.clone().unwrap();
    assert!(
        routed.starts_with("JS") && routed.ends_with("ZJFJ"),
        "{routed}"
    );
    let all = complaints::queue(&app.store, &js_office, Queue::All, d0)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![theirs.id]
    );
    let d = counts::dashboard(&app.store, &js_office, "2026-01", "2026-12")
        .await
        .unwrap();
    assert_eq!(d.total.tickets, 1);
    no_drift(&app, "two districts").await;
}

#[tokio::test]
async fn the_reply_deadline_runs_across_the_2026_spring_festival() {
    let app = TestApp::with_plan().await;
    // Thursday 12 February 2026: the last working days before the break are Fri 13 and the
    // worked Saturday 14; the break runs 15–23 February.
    let d0 = day("2026-02-12");
    let new = NewTicket {
        category: Some("product".into()),
        channel: Some(Channel::Hotline12315),
        ..complaint("买的电热水壶质量不合格")
    };
    let got = complaints::intake(&app.store, &office(), &new, d0)
        .await
        .unwrap();
    let zj = unit(&app, "ZJFJ").await;
    let at = |d: &str| {
        let app = &app;
        let zj = zj.clone();
        let d = day(d);
        async move { complaints::get(&app.store, &zj, got.id, d).await.unwrap() }
    };
    let v = at("2026-02-12").await;
    // Product: reply within 5 working days: 13, 14 (worked Saturday), 24, 25, 26.
    assert_eq!(
        v.clock[1],
        (
            Stage::Reply,
            Outcome::Pending {
                deadline: day("2026-02-26")
            }
        )
    );
    assert_eq!(v.clock[0].1.deadline(), Some(day("2026-02-13")));
    assert_eq!(v.warning, Some(Warning::Reminder), "sign is due tomorrow");
    complaints::act(&app.store, &zj, got.id, &Event::Sign, d0)
        .await
        .unwrap();
    // Over the holiday nothing is near; the day before the deadline a reminder; after it the
    // ladder in working days.
    assert_eq!(at("2026-02-20").await.warning, None);
    assert_eq!(at("2026-02-25").await.warning, Some(Warning::Reminder));
    assert_eq!(at("2026-02-27").await.warning, Some(Warning::Blue));
    // Saturday 28 February is worked: 27, 28 and 2 March make three days late.
    assert_eq!(at("2026-03-02").await.warning, Some(Warning::Yellow));
    assert_eq!(at("2026-03-04").await.warning, Some(Warning::Red));

    // The calendar is the district's data: a day off on 25 February moves the deadline.
    let err = registers::save_calendar(&app.store, &office(), 2026, "2026-02-31,holiday")
        .await
        .unwrap_err();
    assert_eq!(code_of(err), "error-calendar-bad-date");
    let with_day_off = format!(
        "{}\n2026-02-25,holiday",
        qcity_domain::complaints::calendar::OFFICIAL_2026
    );
    registers::save_calendar(&app.store, &office(), 2026, &with_day_off)
        .await
        .unwrap();
    let v = at("2026-02-24").await;
    assert_eq!(v.clock[1].1.deadline(), Some(day("2026-02-27")));
    assert_eq!(
        complaints::public_status(&app.store, &got.number, &got.code, day("2026-02-24"))
            .await
            .unwrap()
            .expected,
        Some(day("2026-03-12")),
        "close in 15 working days on the citizen's clock"
    );
    no_drift(&app, "calendar").await;
}

/// A small deterministic generator: the same sequence on every run and database.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[tokio::test]
async fn kept_counts_equal_a_recount_after_random_events() {
    let app = TestApp::with_plan().await;
    let texts = [
        "小区电梯经常困人，物业不管",
        "超市出售过期食品",
        "出租车计价器不准，多收费",
        "商场卖假冒名牌运动鞋",
        "投诉商家",
    ];
    let units = ["ZJFJ", "SYFJ", "GSFJ", "FGTJJ"];
    let mut rng = Lcg(18);
    let mut ids = Vec::new();
    let mut today = day("2026-01-05");
    let mut applied = 0;
    for step in 0..80 {
        if rng.next(3) == 0 {
            today = today.succ_opt().unwrap();
        }
        if ids.is_empty() || rng.next(4) == 0 {
            let got = complaints::intake(
                &app.store,
                &public(),
                &complaint(texts[rng.next(texts.len())]),
                today,
            )
            .await
            .unwrap();
            ids.push(got.id);
            continue;
        }
        let id = ids[rng.next(ids.len())];
        let view = complaints::get(&app.store, &office(), id, today)
            .await
            .unwrap();
        // The actor that may move it: the office, or the unit that has it.
        let actor = match (&view.unit_code, rng.next(2)) {
            (Some(code), 0) => unit(&app, code).await,
            _ => office(),
        };
        // Mostly an event the actor may apply now, sometimes any event (a refusal).
        let allowed = complaints::get(&app.store, &actor, id, today)
            .await
            .map(|v| v.allowed)
            .unwrap_or_default();
        let kind = match (allowed.is_empty(), rng.next(5)) {
            (false, 0..=3) => allowed[rng.next(allowed.len())],
            _ => EventKind::ALL[rng.next(EventKind::ALL.len())],
        };
        let event = match kind {
            EventKind::Accept => Event::Accept,
            EventKind::Decline => Event::Decline {
                reason: "不属受理范围".into(),
            },
            EventKind::Sign => Event::Sign,
            EventKind::Handle => Event::Handle,
            EventKind::Reply => Event::Reply {
                finding: Finding::Partly,
            },
            EventKind::Visit => Event::Visit {
                satisfaction: [Satisfaction::Satisfied, Satisfaction::Dissatisfied][rng.next(2)],
            },
            EventKind::Close => Event::Close,
            EventKind::Reopen => Event::Reopen {
                reason: "不满意".into(),
            },
            EventKind::SendBack => Event::SendBack {
                reason: "非本单位".into(),
            },
            EventKind::Dispatch => Event::Dispatch {
                unit: units[rng.next(units.len())].into(),
            },
            EventKind::Redispatch => Event::Redispatch {
                unit: units[rng.next(units.len())].into(),
            },
            EventKind::DecideDispute => Event::DecideDispute {
                unit: units[rng.next(units.len())].into(),
            },
            EventKind::Escalate => Event::Escalate {
                unit: units[rng.next(units.len())].into(),
            },
            EventKind::RequestExtension => Event::RequestExtension { days: 3 },
            EventKind::ApproveExtension => Event::ApproveExtension,
            EventKind::RefuseExtension => Event::RefuseExtension,
            EventKind::AddInfo => Event::AddInfo,
            EventKind::Merge => Event::Merge {
                into: ids[rng.next(ids.len())],
            },
        };
        // Refusals are part of the walk; they must leave nothing behind.
        if complaints::act(&app.store, &actor, id, &event, today)
            .await
            .is_ok()
        {
            applied += 1;
        }
        if step % 10 == 9 {
            no_drift(&app, &format!("step {step}")).await;
        }
    }
    assert!(applied >= 30, "only {applied} events applied");
    // A later business date recounts everything (overdue stages become due).
    counts::rebuild(&app.store, day("2026-03-31"))
        .await
        .unwrap();
    no_drift(&app, "rebuild").await;
    assert_eq!(
        counts::as_of(&app.store).await.unwrap(),
        Some(day("2026-03-31"))
    );

    // The daily job recounts once per business date.
    let ladder = qcity_domain::supervision::Ladder::default();
    let ctx = qcity_store::schema::JobCtx {
        today: day("2026-04-01"),
        ladder: &ladder,
    };
    let job = complaints::SCHEMA
        .jobs
        .iter()
        .find(|j| j.name == "complaint-figures")
        .unwrap();
    let said = (job.run)(&app.store, &ctx).await.unwrap();
    assert!(said.contains("recounted"), "{said}");
    assert_eq!(
        (job.run)(&app.store, &ctx).await.unwrap(),
        "",
        "once per date"
    );
    assert_eq!(
        counts::as_of(&app.store).await.unwrap(),
        Some(day("2026-04-01"))
    );
    no_drift(&app, "the daily job").await;
    let d = counts::dashboard(&app.store, &office(), "2026-01", "2026-12")
        .await
        .unwrap();
    assert_eq!(d.total.tickets, ids.len() as u64);
    let by_unit: u64 = d.by_unit.iter().map(|(_, c)| c.tickets).sum();
    assert_eq!(by_unit, d.total.tickets);
    assert!(d.total.sign_due > 0, "{:?}", d.total);
    assert!(d.total.sign_on_time <= d.total.sign_due);

    registers::set_population(&app.store, &office(), 2026, 250_000)
        .await
        .unwrap();
    let y = counts::year_figures(&app.store, &office(), 2026)
        .await
        .unwrap();
    assert_eq!(y.counts, d.total);
    let expected = d.total.tickets as f64 / 250_000.0 * 10_000.0;
    assert!((y.per_10k.unwrap() - expected).abs() < 1e-9);
    assert_eq!(y.previous_tickets, 0);
    assert_eq!(y.year_on_year, None, "no tickets last year");
    // Below 20 tickets handled, no unit is ranked.
    assert!(
        y.ranking.iter().all(|r| r.rank.is_none()),
        "{:?}",
        y.ranking
    );
    // A unit reads its own figures only.
    let zj = unit(&app, "ZJFJ").await;
    let mine = counts::dashboard(&app.store, &zj, "2026-01", "2026-12")
        .await
        .unwrap();
    assert!(
        mine.by_unit.iter().all(|(u, _)| u == "ZJFJ"),
        "{:?}",
        mine.by_unit
    );
}

#[tokio::test]
async fn photos_must_be_images() {
    let app = TestApp::with_plan().await;
    let d0 = day("2026-03-02");
    let got = complaints::intake(&app.store, &public(), &complaint("电梯困人"), d0)
        .await
        .unwrap();
    let png = qcity_store::evidence::Upload {
        filename: "现场.png".into(),
        bytes: PNG.to_vec(),
    };
    let pdf = qcity_store::evidence::Upload {
        filename: "a.pdf".into(),
        bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
    };
    let err = complaints::add_photo(&app.store, &office(), got.id, &pdf)
        .await
        .unwrap_err();
    assert_eq!(code_of(err), "error-complaint-photo-type");
    complaints::add_photo(&app.store, &office(), got.id, &png)
        .await
        .unwrap();
    let photos = complaints::photos(&app.store, &office(), got.id)
        .await
        .unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].2, "image/png");
    let (_, mime, bytes) = complaints::photo(&app.store, &office(), photos[0].0)
        .await
        .unwrap();
    assert_eq!((mime.as_str(), bytes.as_slice()), ("image/png", PNG));
    // A unit the ticket was never routed to cannot fetch it.
    assert!(matches!(
        complaints::photo(&app.store, &unit(&app, "NW").await, photos[0].0).await,
        Err(StoreError::NotFound)
    ));
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn supervisors_file_while_appointed_and_disputes_follow_their_flow() {
    let app = TestApp::with_plan().await;
    let d0 = day("2026-03-02");
    let term = Appointment {
        appointed: day("2026-01-01"),
        term_ends: day("2028-12-31"),
        revoked: None,
    };
    let sup = registers::appoint_supervisor(&app.store, &office(), "李四", "13900000000", &term)
        .await
        .unwrap();
    let filed = NewTicket {
        channel: Some(Channel::Supervisor),
        supervisor_id: Some(sup),
        ..complaint("菜市场电子秤计量不准")
    };
    complaints::intake(&app.store, &office(), &filed, d0)
        .await
        .unwrap();
    registers::revoke_supervisor(&app.store, &office(), sup, day("2026-03-03"))
        .await
        .unwrap();
    let err = complaints::intake(&app.store, &office(), &filed, day("2026-03-04"))
        .await
        .unwrap_err();
    assert_eq!(code_of(err), "error-supervisor-revoked");
    let list = registers::supervisors(&app.store, &office()).await.unwrap();
    assert_eq!(list[0].reports, 1);

    let case = registers::file_dispute(
        &app.store,
        &office(),
        CaseKind::Arbitration,
        "王五",
        "某家电商场",
        "空调制冷效果不达标",
        d0,
    )
    .await
    .unwrap();
    let err = registers::act_dispute(&app.store, &office(), case, 0, &CaseEvent::Close, d0)
        .await
        .unwrap_err();
    assert_eq!(code_of(err), "error-dispute-not-allowed");
    let flow = [
        CaseEvent::Accept,
        CaseEvent::Examine {
            body: "郑州市质量技术监督检验测试中心".into(),
        },
        CaseEvent::Conclude {
            conclusion: "制冷量低于标称值".into(),
            compensation_fen: Some(128_050),
        },
    ];
    for (version, event) in flow.iter().enumerate() {
        registers::act_dispute(&app.store, &office(), case, version as i64, event, d0)
            .await
            .unwrap();
    }
    let stale = registers::act_dispute(&app.store, &office(), case, 0, &CaseEvent::Close, d0)
        .await
        .unwrap_err();
    assert_eq!(code_of(stale), "row_version");
    let cases = registers::disputes(&app.store, &office(), d0)
        .await
        .unwrap();
    assert_eq!(cases[0].status, CaseStatus::Concluded);
    assert_eq!(cases[0].compensation_fen, Some(128_050));
    assert!(cases[0].conclude_deadline.is_on_time());
}

#[tokio::test]
async fn units_with_twenty_tickets_are_ranked_and_the_year_compares_with_the_last() {
    let app = TestApp::with_plan().await;
    let food = |text: &str| NewTicket {
        channel: Some(Channel::Hotline12315),
        category: Some("food".into()),
        ..complaint(text)
    };
    // Two tickets last year, twenty-two this year: twenty-one for 食药 closed on time, one for
    // 质监 still open.
    for _ in 0..2 {
        complaints::intake(
            &app.store,
            &office(),
            &food("饭店卫生差"),
            day("2025-06-02"),
        )
        .await
        .unwrap();
    }
    let sy = unit(&app, "SYFJ").await;
    let d0 = day("2026-03-02");
    let d1 = day("2026-03-03");
    for n in 0..21 {
        let got = complaints::intake(&app.store, &office(), &food(&format!("饭店卫生差{n}")), d0)
            .await
            .unwrap();
        let steps = [
            (&sy, Event::Sign),
            (
                &sy,
                Event::Reply {
                    finding: Finding::Unfounded,
                },
            ),
        ];
        for (who, e) in &steps {
            complaints::act(&app.store, who, got.id, e, d1)
                .await
                .unwrap();
        }
        let visit = Event::Visit {
            satisfaction: if n == 0 {
                Satisfaction::Dissatisfied
            } else {
                Satisfaction::Satisfied
            },
        };
        complaints::act(&app.store, &office(), got.id, &visit, d1)
            .await
            .unwrap();
        complaints::act(&app.store, &office(), got.id, &Event::Close, d1)
            .await
            .unwrap();
    }
    let product = NewTicket {
        category: Some("product".into()),
        ..food("电热水壶漏电")
    };
    complaints::intake(&app.store, &office(), &product, d1)
        .await
        .unwrap();
    no_drift(&app, "ranking").await;

    let y = counts::year_figures(&app.store, &office(), 2026)
        .await
        .unwrap();
    assert_eq!(y.counts.tickets, 22);
    assert_eq!(y.previous_tickets, 2);
    assert_eq!(y.year_on_year, Some(1000.0));
    assert_eq!(y.per_10k, None, "no residents set");
    let first = &y.ranking[0];
    assert_eq!((first.unit.as_str(), first.rank), ("SYFJ", Some(1)));
    assert_eq!(first.counts.close_rate().percent(), Some(100.0));
    assert_eq!((first.counts.satisfied, first.counts.rated), (20, 21));
    let zj = y.ranking.iter().find(|r| r.unit == "ZJFJ").unwrap();
    assert_eq!(zj.rank, None, "one ticket is not enough to rank");
    let d = counts::dashboard(&app.store, &office(), "2026-03", "2026-03")
        .await
        .unwrap();
    assert_eq!(
        d.by_channel,
        vec![("12315".to_string(), y.counts)],
        "every ticket came by the 12315 hotline"
    );
}
