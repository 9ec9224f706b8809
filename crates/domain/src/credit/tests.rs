use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test dates are valid")
}

fn ev(kind: EventKind, date: NaiveDate) -> Event {
    Event {
        kind,
        date,
        serious: false,
    }
}

fn serious(kind: EventKind, date: NaiveDate) -> Event {
    Event {
        kind,
        date,
        serious: true,
    }
}

fn rules() -> RuleSet {
    RuleSet::default_rules()
}

/// The reasons' points add up to the score: the sheet can be checked by hand.
fn assert_adds_up(g: &Grading) {
    let sum: i64 = g.reasons.iter().map(|r| i64::from(r.points)).sum();
    assert_eq!(sum, i64::from(g.score), "{:#?}", g.reasons);
}

fn paths(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.path.as_str()).collect()
}

// ---------------------------------------------------------------- the rules

#[test]
fn default_rules_load_and_validate() {
    let r = RuleSet::load(DEFAULT_RULES_TOML).expect("default rules load");
    assert_eq!(r.validate(), Ok(()));
    assert_eq!(r, rules());
    assert_eq!((r.start, r.max_score, r.window_years), (100, 110, 3));
    assert!(r.note_zh.contains("QCity 的假设"));
    assert!(r.note_en.contains("QCity's assumption"));
    assert_eq!(
        r.event_rule(EventKind::SamplingFailure)
            .map(|e| (e.points, e.serious_points)),
        Some((-10, Some(-20)))
    );
    assert!(r.event_rule(EventKind::Other).is_none());
    assert_eq!(
        r.grades.iter().map(|g| g.grade).collect::<Vec<_>>(),
        vec![Grade::A, Grade::B, Grade::C, Grade::D]
    );
    assert_eq!(r.blacklist.listing_years, 3);
    assert_eq!(r.blacklist.repair_after_years, 1);
}

#[test]
fn rules_round_trip_through_toml() {
    let r = rules();
    let text = toml::to_string(&r).expect("rules serialise");
    assert_eq!(RuleSet::load(&text), Ok(r));
}

#[test]
fn parse_errors_are_bilingual_and_carry_the_line() {
    let unknown = DEFAULT_RULES_TOML.replace("window_years = 3", "window_yeras = 3");
    let d = RuleSet::from_toml(&unknown).expect_err("unknown field refused");
    assert!(
        d.message_zh.contains("未知字段 window_yeras"),
        "{}",
        d.message_zh
    );
    assert!(d.message_en.contains("window_yeras"), "{}", d.message_en);
    let line = DEFAULT_RULES_TOML
        .lines()
        .position(|l| l.starts_with("window_years"))
        .map(|i| i + 1);
    assert_eq!(d.line, line);

    let bad_kind = DEFAULT_RULES_TOML.replace("kind = \"recall\"", "kind = \"fine\"");
    let d = RuleSet::from_toml(&bad_kind).expect_err("unknown kind refused");
    assert!(d.message_zh.contains("fine"), "{}", d.message_zh);

    let bad_grade = DEFAULT_RULES_TOML.replace("grade = \"B\"", "grade = \"E\"");
    assert!(RuleSet::load(&bad_grade).is_err());

    let wrong_type = DEFAULT_RULES_TOML.replace("start = 100", "start = \"100\"");
    let d = RuleSet::from_toml(&wrong_type).expect_err("wrong type refused");
    assert!(d.message_zh.contains("类型"), "{}", d.message_zh);

    let missing = DEFAULT_RULES_TOML.replace("start = 100\n", "");
    let d = RuleSet::from_toml(&missing).expect_err("missing field refused");
    assert!(d.message_zh.contains("缺少字段 start"), "{}", d.message_zh);

    for garbage in ["", "[[", "start = ", "名称 = 1", "\u{0}"] {
        let errors = RuleSet::load(garbage).expect_err("garbage refused");
        assert!(
            errors
                .iter()
                .all(|d| !d.message_zh.is_empty() && !d.message_en.is_empty())
        );
    }
}

const BROKEN: &str = r#"
name = " "
note_zh = "测试"
note_en = "test"
start = 120
max_score = 110
window_years = 0

[[events]]
kind = "sampling_failure"
points = -10
serious_points = -5

[[events]]
kind = "sampling_failure"
points = -20

[[events]]
kind = "award"
points = 500
serious_points = 20

[[grades]]
grade = "A"
min = 90

[[grades]]
grade = "C"
min = 95

[[grades]]
grade = "B"

[[grades]]
grade = "D"
min = 10

[[caps]]
when = "blacklisted"
grade = "A"

[[caps]]
when = "blacklisted"
grade = "D"

[[caps]]
when = "serious_event"
grade = "D"

[blacklist]
listing_years = 3
repair_after_years = 3
propose_sampling_failures = 0
propose_within_years = 0
propose_on_serious_penalty = true
"#;

#[test]
fn validation_names_every_problem() {
    let errors = RuleSet::load(BROKEN).expect_err("broken rules refused");
    let p = paths(&errors);
    for expected in [
        "name",
        "start",
        "window_years",
        "events[0].serious_points",
        "events[1].kind",
        "events[2].points",
        "events[2].serious_points",
        "grades[1].min",
        "grades[2].grade",
        "grades[2].min",
        "grades[3].min",
        "caps[0].grade",
        "caps[1].when",
        "blacklist.repair_after_years",
        "blacklist.propose_sampling_failures",
        "blacklist.propose_within_years",
    ] {
        assert!(p.contains(&expected), "no error at {expected}: {p:?}");
    }
    // The valid cap (serious_event → D) is not reported.
    assert!(!p.contains(&"caps[2].grade"), "{p:?}");
    for d in &errors {
        assert!(d.is_error());
        assert!(!d.message_zh.is_empty() && !d.message_en.is_empty(), "{d}");
        assert!(
            d.message_zh
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{d:?}"
        );
    }
}

#[test]
fn validation_of_single_faults() {
    let base = rules();
    let check = |r: RuleSet, path: &str| {
        let errors = r.validate().expect_err(path);
        assert_eq!(paths(&errors), vec![path], "{errors:#?}");
    };

    let mut r = base.clone();
    r.grades.truncate(1);
    r.grades[0].min = None;
    r.caps.clear();
    check(r, "grades");

    let mut r = base.clone();
    r.grades[0].min = Some(111);
    check(r, "grades[0].min");

    let mut r = base.clone();
    r.grades[1].min = None;
    check(r, "grades[1].min");

    let mut r = base.clone();
    r.grades[2].min = Some(75);
    check(r, "grades[2].min");

    let mut r = base.clone();
    r.grades.retain(|g| g.grade != Grade::D);
    r.grades[2].min = None;
    check(r, "caps[0].grade");

    let mut r = base.clone();
    r.max_score = 0;
    r.start = 0;
    r.grades[0].min = Some(0);
    let errors = r.validate().expect_err("zero scale refused");
    assert!(paths(&errors).contains(&"max_score"));

    let mut r = base.clone();
    r.blacklist.listing_years = 0;
    check(r, "blacklist.listing_years");

    let mut r = base.clone();
    r.note_en = String::new();
    check(r, "note_en");

    // Turning the failure trigger off is legal.
    let mut r = base;
    r.blacklist.propose_sampling_failures = None;
    assert_eq!(r.validate(), Ok(()));
}

// ---------------------------------------------------------------- grading

#[test]
fn two_failures_and_an_award_reach_a() {
    let g = rules().grade(
        &[
            ev(EventKind::SamplingFailure, day(2015, 6, 3)),
            ev(EventKind::Award, day(2016, 1, 10)),
            ev(EventKind::SamplingFailure, day(2015, 3, 1)),
        ],
        false,
        day(2016, 6, 30),
    );
    assert_eq!((g.grade, g.score), (Grade::A, 90));
    assert_adds_up(&g);
    let zh: Vec<&str> = g.reasons.iter().map(|r| r.zh.as_str()).collect();
    assert_eq!(
        zh,
        vec![
            "起始分 100",
            "2015-03-01 监督抽查不合格 −10",
            "2015-06-03 监督抽查不合格 −10",
            "2016-01-10 质量奖励 +10",
            "得分 90，达到A级（守信）线 90 分",
        ]
    );
    assert_eq!(g.reasons[3].en, "2016-01-10 Quality award +10");
    assert_eq!(
        g.reasons[4].en,
        "score 90 reaches the A (trustworthy) line of 90"
    );
}

#[test]
fn two_failures_alone_drop_to_b() {
    let g = rules().grade(
        &[
            ev(EventKind::SamplingFailure, day(2015, 6, 3)),
            ev(EventKind::SamplingFailure, day(2015, 7, 3)),
        ],
        false,
        day(2016, 1, 1),
    );
    assert_eq!((g.grade, g.score), (Grade::B, 80));
}

#[test]
fn a_serious_event_caps_the_grade_at_c() {
    // 100 − 20 = 80 would be B; the serious failure caps it at C.
    let g = rules().grade(
        &[serious(EventKind::SamplingFailure, day(2015, 6, 3))],
        false,
        day(2016, 1, 1),
    );
    assert_eq!((g.grade, g.score), (Grade::C, 80));
    assert_adds_up(&g);
    assert_eq!(g.reasons[1].zh, "2015-06-03 监督抽查不合格（严重）−20");
    assert_eq!(
        g.reasons[1].en,
        "2015-06-03 Failed supervisory sampling (serious) −20"
    );
    assert_eq!(
        g.reasons[2].zh,
        "计分期内有严重事件（2015-06-03 监督抽查不合格（严重））：等级最高为C级（失信），由B级（基本守信）降为C级（失信）"
    );
    assert!(
        g.reasons[2].en.contains("lowered from B"),
        "{}",
        g.reasons[2].en
    );
    assert_eq!(
        g.reasons[3].zh,
        "得分 80，达到B级（基本守信）线 75 分；受上述限制，最终评为C级（失信）"
    );
}

#[test]
fn a_serious_penalty_lands_on_c_and_the_cap_still_shows() {
    let g = rules().grade(
        &[serious(EventKind::Penalty, day(2015, 6, 3))],
        false,
        day(2016, 1, 1),
    );
    assert_eq!((g.grade, g.score), (Grade::C, 60));
    assert!(
        g.reasons[2].zh.contains("按得分已不高于此级"),
        "{}",
        g.reasons[2].zh
    );
    assert_eq!(g.reasons.len(), 4);
}

#[test]
fn old_events_are_listed_but_not_counted() {
    let g = rules().grade(
        &[
            ev(EventKind::Penalty, day(2012, 6, 2)),
            serious(EventKind::Penalty, day(2011, 1, 1)),
        ],
        false,
        day(2016, 6, 3),
    );
    assert_eq!((g.grade, g.score), (Grade::A, 100));
    assert_adds_up(&g);
    assert_eq!(
        g.reasons[2].zh,
        "2012-06-02 行政处罚：早于计分期起点 2013-06-03（近 3 年），不计分"
    );
    assert_eq!(
        g.reasons[2].en,
        "2012-06-02 Administrative penalty: before 2013-06-03, outside the 3-year window; not counted"
    );
    assert_eq!(g.reasons[2].points, 0);
    // Old serious events do not cap either.
    assert!(g.reasons.iter().all(|r| !r.zh.contains("等级最高")));
}

#[test]
fn the_window_includes_its_first_day() {
    let r = rules();
    let as_of = day(2016, 6, 3);
    assert_eq!(r.window_start(as_of), day(2013, 6, 3));
    let on_edge = r.grade(&[ev(EventKind::Recall, day(2013, 6, 3))], false, as_of);
    assert_eq!(on_edge.score, 85);
    let a_day_older = r.grade(&[ev(EventKind::Recall, day(2013, 6, 2))], false, as_of);
    assert_eq!(a_day_older.score, 100);
    // 29 February counts back to 28 February.
    assert_eq!(r.window_start(day(2016, 2, 29)), day(2013, 2, 28));
}

#[test]
fn events_after_the_grading_date_are_ignored() {
    let g = rules().grade(
        &[serious(EventKind::Penalty, day(2017, 1, 1))],
        false,
        day(2016, 1, 1),
    );
    assert_eq!((g.grade, g.score), (Grade::A, 100));
    assert_eq!(g.reasons.len(), 2);
}

#[test]
fn blacklisted_is_d_whatever_the_points() {
    let g = rules().grade(
        &[ev(EventKind::Award, day(2015, 1, 1))],
        true,
        day(2016, 1, 1),
    );
    assert_eq!((g.grade, g.score), (Grade::D, 110));
    assert_adds_up(&g);
    assert!(
        g.reasons
            .iter()
            .any(|r| r.zh.starts_with("已列入严重质量失信名单：等级最高为D级"))
    );
    assert!(g.reasons.iter().any(|r| {
        r.en.starts_with("on the serious quality-dishonesty blacklist")
    }));
}

#[test]
fn scores_are_clamped_with_a_reason() {
    let r = rules();
    let awards: Vec<Event> = (1..=5)
        .map(|m| ev(EventKind::Award, day(2015, m, 1)))
        .collect();
    let g = r.grade(&awards, false, day(2016, 1, 1));
    assert_eq!((g.grade, g.score), (Grade::A, 110));
    assert_adds_up(&g);
    assert!(
        g.reasons
            .iter()
            .any(|r| r.zh == "得分 150 高于上限 110，按 110 计" && r.points == -40)
    );

    let penalties: Vec<Event> = (1..=4)
        .map(|m| serious(EventKind::Penalty, day(2015, m, 1)))
        .collect();
    let g = r.grade(&penalties, false, day(2016, 1, 1));
    assert_eq!((g.grade, g.score), (Grade::D, 0));
    assert_adds_up(&g);
    assert!(
        g.reasons
            .iter()
            .any(|r| r.zh == "得分 −60 低于 0，按 0 计" && r.points == 60)
    );
    assert_eq!(
        g.reasons.last().map(|r| r.zh.as_str()),
        Some("得分 0，低于C级（失信）线 60 分，评为D级（严重失信）")
    );
}

#[test]
fn kinds_without_points_are_listed_as_not_counted() {
    let g = rules().grade(
        &[serious(EventKind::Other, day(2015, 1, 1))],
        false,
        day(2016, 1, 1),
    );
    assert_eq!((g.grade, g.score), (Grade::A, 100));
    assert!(
        g.reasons[1].zh.contains("未给此类事件设分值"),
        "{}",
        g.reasons[1].zh
    );
    // A serious event that costs nothing does not cap.
    assert_eq!(g.reasons.len(), 3);
}

#[test]
fn grading_survives_unvalidated_rules() {
    let mut r = rules();
    r.grades.clear();
    r.max_score = -5;
    let g = r.grade(
        &[ev(EventKind::Award, day(2015, 1, 1))],
        false,
        day(2016, 1, 1),
    );
    assert_eq!((g.grade, g.score), (Grade::D, 0));
    assert_adds_up(&g);
}

// ---------------------------------------------------------------- proposals

#[test]
fn three_failures_in_two_years_propose_a_listing() {
    let r = rules();
    let as_of = day(2016, 6, 30);
    let two = [
        ev(EventKind::SamplingFailure, day(2015, 1, 5)),
        ev(EventKind::SamplingFailure, day(2016, 3, 1)),
    ];
    assert_eq!(r.blacklist_proposal(&two, as_of), None);

    let mut three = two.to_vec();
    three.push(ev(EventKind::SamplingFailure, day(2014, 6, 30)));
    let reason = r.blacklist_proposal(&three, as_of).expect("proposal");
    assert_eq!(
        reason.zh,
        "建议列入严重质量失信名单：2014-06-30 至 2016-06-30 监督抽查不合格 3 次\
         （2014-06-30、2015-01-05、2016-03-01），达到 3 次的建议列入线"
    );
    assert!(
        reason.en.contains("3 failed supervisory samplings"),
        "{}",
        reason.en
    );

    // One day too old: only two are within the two years.
    three[2].date = day(2014, 6, 29);
    assert_eq!(r.blacklist_proposal(&three, as_of), None);
    // And none dated after as_of counts.
    three[2].date = day(2016, 7, 1);
    assert_eq!(r.blacklist_proposal(&three, as_of), None);
}

#[test]
fn a_serious_penalty_proposes_a_listing() {
    let mut r = rules();
    let as_of = day(2016, 6, 30);
    let events = [
        ev(EventKind::Penalty, day(2016, 1, 1)),
        serious(EventKind::Penalty, day(2016, 2, 1)),
    ];
    let reason = r.blacklist_proposal(&events, as_of).expect("proposal");
    assert_eq!(
        reason.zh,
        "建议列入严重质量失信名单：2016-02-01 受到情节严重的行政处罚"
    );
    assert_eq!(
        reason.en,
        "listing on the serious quality-dishonesty blacklist proposed: serious administrative penalty on 2016-02-01"
    );
    assert_eq!(r.blacklist_proposal(&events[..1], as_of), None);
    r.blacklist.propose_on_serious_penalty = false;
    assert_eq!(r.blacklist_proposal(&events, as_of), None);
}

// ---------------------------------------------------------------- the lifecycle

fn listed_on(on: NaiveDate) -> Listing {
    apply(&rules(), &Listing::proposed(), ListingAction::Approve, on).expect("approve")
}

#[test]
fn approve_starts_a_three_year_term() {
    let l = listed_on(day(2016, 6, 3));
    assert_eq!(
        l,
        Listing {
            state: ListingState::Listed,
            listed_on: Some(day(2016, 6, 3)),
            until: Some(day(2019, 6, 3)),
        }
    );
    assert!(l.is_public());
}

#[test]
fn reject_ends_a_proposal() {
    let l = apply(
        &rules(),
        &Listing::proposed(),
        ListingAction::Reject,
        day(2016, 1, 1),
    )
    .expect("reject");
    assert_eq!(l.state, ListingState::Rejected);
    assert!(!l.is_public());
}

#[test]
fn repair_may_be_requested_after_a_year() {
    let r = rules();
    let l = listed_on(day(2016, 6, 3));
    let e = apply(&r, &l, ListingAction::RequestRepair, day(2017, 6, 2)).expect_err("too early");
    assert_eq!(
        e.kind,
        TransitionErrorKind::TooEarly {
            earliest: day(2017, 6, 3)
        }
    );
    assert_eq!(
        e.message(Lang::ZhCn),
        "当前状态为“已列入并公示”，不能执行“申请信用修复”：尚未到可申请之日，最早可于 2017-06-03 申请"
    );
    assert_eq!(
        e.message(Lang::En),
        "the listing is “Listed and published”; “Request credit repair” is not possible yet: the earliest date is 2017-06-03"
    );
    let requested = apply(&r, &l, ListingAction::RequestRepair, day(2017, 6, 3)).expect("request");
    assert_eq!(requested.state, ListingState::RepairRequested);
    assert!(
        requested.is_public(),
        "still published while repair is considered"
    );

    let refused =
        apply(&r, &requested, ListingAction::RefuseRepair, day(2017, 7, 1)).expect("refuse");
    assert_eq!(refused, l);

    let removed = apply(
        &r,
        &requested,
        ListingAction::ApproveRepair,
        day(2017, 7, 1),
    )
    .expect("approve repair");
    assert_eq!(
        removed,
        Listing {
            state: ListingState::Removed,
            listed_on: Some(day(2016, 6, 3)),
            until: Some(day(2017, 7, 1)),
        }
    );
    assert!(!removed.is_public());

    let e = apply(&r, &l, ListingAction::RequestRepair, day(2019, 6, 3)).expect_err("term over");
    assert_eq!(
        e.kind,
        TransitionErrorKind::TermOver {
            until: day(2019, 6, 3)
        }
    );
    assert!(e.message(Lang::ZhCn).contains("应执行“期满移出”"));
}

#[test]
fn expiry_waits_for_the_end_of_the_term() {
    let r = rules();
    let l = listed_on(day(2016, 6, 3));
    let e = apply(&r, &l, ListingAction::Expire, day(2019, 6, 2)).expect_err("too early");
    assert_eq!(
        e.kind,
        TransitionErrorKind::TooEarly {
            earliest: day(2019, 6, 3)
        }
    );
    assert!(e.message(Lang::ZhCn).contains("列入期至 2019-06-03 届满"));
    assert!(
        e.message(Lang::En)
            .contains("the term runs until 2019-06-03")
    );
    let expired = apply(&r, &l, ListingAction::Expire, day(2019, 6, 3)).expect("expire");
    assert_eq!(expired.state, ListingState::Expired);
    assert_eq!(expired.until, Some(day(2019, 6, 3)));

    let requested = apply(&r, &l, ListingAction::RequestRepair, day(2019, 1, 1)).expect("request");
    let expired =
        apply(&r, &requested, ListingAction::Expire, day(2019, 7, 1)).expect("expire pending");
    assert_eq!(expired.state, ListingState::Expired);
}

#[test]
fn illegal_transitions_name_state_and_action() {
    let r = rules();
    let on = day(2030, 1, 1);
    let mut checked = 0;
    for state in ListingState::ALL {
        let listing = Listing {
            state: *state,
            listed_on: Some(day(2016, 1, 1)),
            until: Some(day(2019, 1, 1)),
        };
        for action in ListingAction::ALL {
            let legal = state.actions().contains(action);
            match apply(&r, &listing, *action, on) {
                Ok(next) => assert!(legal, "{state:?} --{action:?}--> {next:?}"),
                // A legal pair may still be refused for its date (repair after the term).
                Err(e) if legal => assert_ne!(e.kind, TransitionErrorKind::NotAllowed),
                Err(e) => {
                    assert_eq!(e.kind, TransitionErrorKind::NotAllowed);
                    let zh = e.message(Lang::ZhCn);
                    let en = e.message(Lang::En);
                    assert!(
                        zh.contains(state.label(Lang::ZhCn))
                            && zh.contains(action.label(Lang::ZhCn)),
                        "{zh}"
                    );
                    assert!(
                        en.contains(state.label(Lang::En)) && en.contains(action.label(Lang::En)),
                        "{en}"
                    );
                    assert_eq!(e.to_string(), en);
                    checked += 1;
                }
            }
        }
    }
    // 6 states × 6 actions, 7 legal pairs.
    assert_eq!(checked, 36 - 7);
    let e = apply(&r, &Listing::proposed(), ListingAction::Expire, on).expect_err("not allowed");
    assert_eq!(
        e.message(Lang::ZhCn),
        "当前状态为“拟列入”，不能执行“期满移出”（此状态下可执行：批准列入、不予列入）"
    );
    let removed = Listing {
        state: ListingState::Removed,
        ..Listing::proposed()
    };
    let e = apply(&r, &removed, ListingAction::Approve, on).expect_err("final");
    assert_eq!(
        e.message(Lang::En),
        "the listing is “Removed after credit repair”; “Approve listing” is not possible (this state is final)"
    );
}

#[test]
fn a_listed_record_without_dates_is_refused_not_panicked_on() {
    let broken = Listing {
        state: ListingState::Listed,
        listed_on: None,
        until: None,
    };
    for action in [ListingAction::RequestRepair, ListingAction::Expire] {
        let e = apply(&rules(), &broken, action, day(2020, 1, 1)).expect_err("missing dates");
        assert_eq!(e.kind, TransitionErrorKind::MissingDate);
        assert!(e.message(Lang::ZhCn).contains("缺少列入日期"));
    }
}

#[test]
fn labels_parse_back() {
    for s in ListingState::ALL {
        assert_eq!(ListingState::parse(s.label(Lang::ZhCn)), Some(*s));
        assert_eq!(ListingState::parse(s.code()), Some(*s));
    }
    for a in ListingAction::ALL {
        assert_eq!(ListingAction::parse(a.label(Lang::ZhCn)), Some(*a));
        assert_eq!(ListingAction::parse(a.label(Lang::En)), Some(*a));
    }
    for k in EventKind::ALL {
        assert_eq!(EventKind::parse(k.label(Lang::ZhCn)), Some(*k));
        assert_eq!(EventKind::parse(k.code()), Some(*k));
    }
    for g in Grade::ALL {
        assert_eq!(Grade::parse(g.code()), Some(*g));
        assert_eq!(Grade::parse(&g.code().to_lowercase()), Some(*g));
        assert_eq!(Grade::parse(g.label(Lang::ZhCn)), Some(*g));
        assert_eq!(Grade::parse(g.label(Lang::En)), Some(*g));
    }
    assert_eq!(Grade::parse("严重失信"), Some(Grade::D));
    assert_eq!(EventKind::parse("体系认证"), Some(EventKind::Certification));
    assert_eq!(ListingState::RepairRequested.code(), "repair_requested");
    let json = toml::to_string(&GradeRule {
        grade: Grade::B,
        min: Some(75),
    })
    .expect("serialise");
    assert!(json.contains("grade = \"B\""), "{json}");
}

// ---------------------------------------------------------------- properties

fn any_action() -> impl Strategy<Value = ListingAction> {
    prop::sample::select(ListingAction::ALL)
}

fn any_event() -> impl Strategy<Value = Event> {
    (
        prop::sample::select(EventKind::ALL),
        0i64..3000,
        any::<bool>(),
    )
        .prop_map(|(kind, days, serious)| Event {
            kind,
            date: day(2010, 1, 1) + chrono::Duration::days(days),
            serious,
        })
}

proptest! {
    /// Whatever happens, a listing that reached a final state stays there,
    /// and a public listing always has its dates with `until` after `listed_on`.
    #[test]
    fn final_states_are_final(steps in prop::collection::vec((any_action(), 0i64..400), 0..40)) {
        let r = rules();
        let mut listing = Listing::proposed();
        let mut on = day(2015, 1, 1);
        let mut final_state = None;
        for (action, gap) in steps {
            on += chrono::Duration::days(gap);
            match apply(&r, &listing, action, on) {
                Ok(next) => {
                    prop_assert!(final_state.is_none(), "left {final_state:?} by {action:?}");
                    listing = next;
                }
                Err(e) => {
                    prop_assert!(!e.message(Lang::ZhCn).is_empty());
                    prop_assert_eq!(e.state, listing.state);
                }
            }
            if listing.state.is_final() {
                final_state.get_or_insert(listing.state);
                prop_assert_eq!(Some(listing.state), final_state);
            }
            if listing.is_public() {
                let (Some(from), Some(until)) = (listing.listed_on, listing.until) else {
                    return Err(TestCaseError::fail("public listing without dates"));
                };
                prop_assert_eq!(until, add_years(from, r.blacklist.listing_years));
            }
        }
    }

    /// The reasons always add up to a score within the scale, one reason per
    /// event up to `as_of`, and caps only ever make the grade worse.
    #[test]
    fn gradings_add_up(events in prop::collection::vec(any_event(), 0..20), blacklisted in any::<bool>(), days in 0i64..3000) {
        let r = rules();
        let as_of = day(2010, 1, 1) + chrono::Duration::days(days);
        let g = r.grade(&events, blacklisted, as_of);
        assert_adds_up(&g);
        prop_assert!((0..=r.max_score).contains(&g.score));
        let (by_score, _) = r.grade_for_score(g.score);
        prop_assert!(g.grade >= by_score);
        if blacklisted {
            prop_assert_eq!(g.grade, Grade::D);
        }
        let past = events.iter().filter(|e| e.date <= as_of).count();
        let event_lines = g.reasons.iter().filter(|r| r.zh.starts_with(|c: char| c.is_ascii_digit())).count();
        prop_assert_eq!(event_lines, past);
        for reason in &g.reasons {
            prop_assert!(!reason.zh.is_empty() && !reason.en.is_empty());
        }
    }
}
