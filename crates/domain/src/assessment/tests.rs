use super::*;

fn scheme() -> Scheme {
    Scheme::default_scheme()
}

/// The lines' points add up to the total: the sheet can be checked by hand.
fn assert_adds_up(s: &UnitScore) {
    let sum: f64 = s.parts.iter().map(|p| p.points).sum();
    assert!((sum - s.total).abs() < 1e-9, "{:#?}", s.parts);
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn paths(d: &[Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.path.as_str()).collect()
}

/// A unit with data in every part.
fn busy_unit() -> UnitFacts {
    UnitFacts {
        obligations_due: 20,
        obligations_on_time: 18,
        reports_due: 10,
        reports_on_time: 9,
        reports_late: 1,
        reports_submitted: 10,
        reports_returned: 1,
        indicators_with_data: 5,
        indicators_met: 3,
        indicators_on_track: 1,
        ratings: vec![(8.0, 10.0), (90.0, 100.0)],
        red_notices: 1,
        yellow_notices: 2,
        blue_notices: 3,
    }
}

#[test]
fn default_scheme_loads_and_validates() {
    let s = Scheme::load(DEFAULT_SCHEME_TOML).expect("default scheme loads");
    assert_eq!(s.validate(), Ok(()));
    assert_eq!(s, scheme());
    assert!(close(s.weights.total(), 100.0));
    assert!(s.note_zh.contains("QCity 的假设"));
    assert!(s.note_en.contains("QCity's assumption"));
    assert_eq!(
        (s.red_notice_deduction, s.red_notice_cap),
        (2.0, Some(10.0))
    );
    // The exported text reads back to the same scheme.
    assert_eq!(Scheme::load(&s.to_toml()), Ok(s));
}

#[test]
fn hand_worked_score() {
    let score = scheme().score(&busy_unit());
    // on time 30 × 18/20 = 27; timeliness 15 × 9/10 = 13.5;
    // indicators 25 × 4/5 = 20; returns 10 × (1 − 1/10) = 9;
    // ratings 20 × (0.8 + 0.9)/2 = 17; one red notice −2.
    assert!(close(score.total, 27.0 + 13.5 + 20.0 + 9.0 + 17.0 - 2.0));
    assert_adds_up(&score);
    let zh: Vec<&str> = score.parts.iter().map(|p| p.zh.as_str()).collect();
    assert_eq!(zh[0], "按时完成任务：按时完成 18/20 项 → 30 × 0.90 = 27 分");
    assert_eq!(
        zh[1],
        "报送及时：按期报送 9/10 份（逾期 1 份，未报 0 份） → 15 × 0.90 = 13.5 分"
    );
    assert_eq!(zh[5], "红色通报 1 次 × 2 分 = −2 分");
    assert_eq!(
        score.parts[0].en,
        "On-time completion: 18 of 20 obligations completed on time → 30 × 0.90 = 27 points"
    );
    assert_eq!(score.parts[5].component, None);
    let maxima: f64 = score.parts.iter().map(|p| p.max).sum();
    assert!(close(maxima, 100.0));
}

#[test]
fn a_perfect_unit_scores_100_and_deductions_are_capped() {
    let mut f = UnitFacts {
        obligations_due: 4,
        obligations_on_time: 4,
        reports_due: 2,
        reports_on_time: 2,
        reports_submitted: 2,
        indicators_with_data: 1,
        indicators_met: 1,
        ratings: vec![(5.0, 5.0)],
        ..UnitFacts::default()
    };
    assert!(close(scheme().score(&f).total, 100.0));
    f.red_notices = 7;
    let s = scheme().score(&f);
    assert!(close(s.total, 90.0), "7 × 2 = 14, capped at 10");
    assert!(
        s.parts
            .last()
            .is_some_and(|p| p.zh.contains("以 10 分为限，扣 10 分"))
    );
    assert_adds_up(&s);
}

#[test]
fn parts_without_data_are_redistributed_in_proportion() {
    // No indicator with data and no rating: 25 + 20 = 45 points to share out
    // among on time (30), timeliness (15) and returns (10), total 55.
    let f = UnitFacts {
        obligations_due: 10,
        obligations_on_time: 5,
        reports_due: 4,
        reports_on_time: 4,
        reports_submitted: 4,
        reports_returned: 0,
        ..UnitFacts::default()
    };
    let s = scheme().score(&f);
    let on_time = 30.0 * 100.0 / 55.0;
    let rest = (15.0 + 10.0) * 100.0 / 55.0;
    assert!(close(s.total, on_time * 0.5 + rest));
    assert!(close(s.parts[0].max, on_time));
    assert_eq!(s.parts[2].points, 0.0);
    assert_eq!(s.parts[2].max, 0.0);
    assert!(s.parts[2].zh.contains("无有数据的指标"));
    assert!(s.parts[2].zh.contains("其权重 25 分按比例分给有数据的项目"));
    assert!(
        s.parts[0]
            .zh
            .contains("无数据项目的 45 分按比例分入后为 54.5 分")
    );
    assert!(s.parts[0].en.contains("shared out") || s.parts[0].en.contains("share of the 45"));
    let maxima: f64 = s.parts.iter().map(|p| p.max).sum();
    assert!(close(maxima, 100.0), "the unit is still scored out of 100");
    assert_adds_up(&s);
}

#[test]
fn no_data_at_all_scores_zero_and_says_why() {
    let s = scheme().score(&UnitFacts::default());
    assert_eq!(s.total, 0.0);
    assert_eq!(s.parts.len(), 5);
    assert!(s.parts.iter().all(|p| p.zh.contains("无法评分")));
}

#[test]
fn deductions_never_push_the_total_below_zero() {
    let mut s = scheme();
    s.red_notice_cap = None;
    let f = UnitFacts {
        obligations_due: 1,
        red_notices: 3,
        ..UnitFacts::default()
    };
    let score = s.score(&f);
    assert_eq!(score.total, 0.0);
    assert!(
        score
            .parts
            .last()
            .is_some_and(|p| p.zh.contains("低于 0，按 0 计"))
    );
    assert_adds_up(&score);
}

#[test]
fn contradictory_counts_are_capped_and_bad_ratings_left_out() {
    let f = UnitFacts {
        obligations_due: 2,
        obligations_on_time: 5,
        ratings: vec![(3.0, 0.0), (f64::NAN, 10.0), (12.0, 10.0)],
        ..UnitFacts::default()
    };
    let s = scheme().score(&f);
    assert!(close(s.total, 100.0));
    assert!(s.parts[4].zh.contains("另有 2 份评分无效"));
}

#[test]
fn ties_share_a_rank() {
    assert_eq!(rank(&[80.0, 90.0, 80.0, 70.0]), vec![2, 1, 2, 4]);
    assert_eq!(rank(&[50.0, 50.0 + 1e-12]), vec![1, 1]);
    assert_eq!(rank(&[f64::NAN, 10.0]), vec![2, 1]);
    assert_eq!(rank(&[]), Vec::<usize>::new());
}

#[test]
fn weights_must_add_up_to_100() {
    let mut s = scheme();
    s.weights.ratings = 25.0;
    let d = s.validate().expect_err("105 is refused");
    assert_eq!(paths(&d), vec!["weights"]);
    assert!(d[0].message_zh.contains("各项权重合计 105"));
    assert!(d[0].message_en.contains("add up to 105"));
}

#[test]
fn negative_weights_and_bad_deductions_are_refused() {
    let mut s = scheme();
    s.weights.returns = -10.0;
    s.weights.on_time = 50.0;
    s.red_notice_deduction = f64::NAN;
    s.red_notice_cap = Some(0.0);
    s.note_en = " ".into();
    let d = s.validate().expect_err("refused");
    assert_eq!(
        paths(&d),
        vec![
            "note_en",
            "weights.returns",
            "red_notice_deduction",
            "red_notice_cap"
        ]
    );
    assert!(
        d.iter()
            .all(|d| !d.message_zh.is_empty() && !d.message_en.is_empty())
    );
}

#[test]
fn shape_errors_carry_their_line() {
    let src = DEFAULT_SCHEME_TOML.replace("returns = 10", "retruns = 10");
    let d = Scheme::load(&src).expect_err("unknown field");
    assert_eq!(d.len(), 1);
    assert!(d[0].line.is_some());
    assert!(d[0].message_zh.contains("未知字段 retruns"));
    let d = Scheme::load(&DEFAULT_SCHEME_TOML.replace("ratings = 20\n", ""))
        .expect_err("missing field");
    assert!(d[0].message_zh.contains("缺少字段 ratings"));
}

#[test]
fn numbers_for_display() {
    assert_eq!(num(22.5), "22.5");
    assert_eq!(num(25.0), "25");
    assert_eq!(num(54.545_454), "54.5");
    assert_eq!(num(-0.01), "0");
    assert_eq!(num_exact(30.04), "30.04");
}

// ------------------------------------------------------------------ rows

/// The default scheme's rows, with the value of `code` replaced.
fn rows_with(code: &str, value: &str) -> Vec<SchemeRow> {
    let mut rows = scheme().to_rows();
    let row = rows
        .iter_mut()
        .find(|r| r.code == code)
        .expect("the code has a row");
    row.value = value.into();
    rows
}

fn line_of(rows: &[SchemeRow], code: &str) -> usize {
    rows.iter()
        .find(|r| r.code == code)
        .map(|r| r.line)
        .expect("the code has a row")
}

#[test]
fn the_default_scheme_round_trips_through_rows() {
    let rows = scheme().to_rows();
    let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        codes,
        vec![
            "name",
            "note_zh",
            "note_en",
            "on_time",
            "timeliness",
            "indicators",
            "returns",
            "ratings",
            "red_notice_deduction",
            "red_notice_cap"
        ]
    );
    assert_eq!(rows[0].line, 2, "line 1 is the header");
    assert_eq!(rows[3].label, "按时完成任务");
    assert_eq!(rows[3].value, "30");
    assert_eq!(rows[9].value, "10");
    assert_eq!(Scheme::from_rows(&rows), Ok(scheme()));
    // The English labels and explanations are ignored on import too.
    assert_eq!(
        Scheme::from_rows(&scheme().to_rows_in(Lang::En)),
        Ok(scheme())
    );
    // And the scheme saved as TOML reads back the same.
    assert_eq!(Scheme::load(&scheme().to_toml()), Ok(scheme()));
}

#[test]
fn rows_in_any_order_with_an_empty_cap_give_a_scheme_without_limit() {
    let mut rows = rows_with("red_notice_cap", "  ");
    rows.reverse();
    rows.iter_mut()
        .find(|r| r.code == "ratings")
        .expect("ratings")
        .code = "WEIGHTS.RATINGS".into();
    let s = Scheme::from_rows(&rows).expect("accepted");
    assert_eq!(s.red_notice_cap, None);
    assert_eq!(s.weights, scheme().weights);
    // Without the cap's row at all, the same.
    let rows: Vec<SchemeRow> = scheme()
        .to_rows()
        .into_iter()
        .filter(|r| r.code != "red_notice_cap")
        .collect();
    assert_eq!(Scheme::from_rows(&rows).map(|s| s.red_notice_cap), Ok(None));
}

#[test]
fn a_changed_weight_that_keeps_the_sum_is_read() {
    let mut rows = rows_with("on_time", "35");
    rows.iter_mut()
        .find(|r| r.code == "ratings")
        .expect("ratings")
        .value = " 15 ".into();
    let s = Scheme::from_rows(&rows).expect("accepted");
    assert_eq!(s.weights.on_time, 35.0);
    assert_eq!(s.weights.ratings, 15.0);
    assert_eq!(s.weights.total(), 100.0);
}

#[test]
fn weights_that_do_not_add_up_are_refused_on_the_first_weight_row_with_the_sum() {
    let rows = rows_with("ratings", "25");
    let d = Scheme::from_rows(&rows).expect_err("105 is refused");
    assert_eq!(d.len(), 1, "{d:?}");
    let first = line_of(&rows, "on_time");
    assert_eq!(d[0].line, Some(first));
    assert_eq!(d[0].path, "weights");
    assert!(
        d[0].message_zh.starts_with(&format!(
            "第 {first} 行：各项权重（第 5、6、7、8、9 行）合计 105"
        )),
        "{}",
        d[0].message_zh
    );
    assert!(d[0].message_zh.contains("30 + 15 + 25 + 10 + 25"));
    assert!(
        d[0].message_en.contains("add up to 105"),
        "{}",
        d[0].message_en
    );
}

#[test]
fn a_negative_weight_or_deduction_is_refused_on_its_row() {
    let mut rows = rows_with("returns", "-10");
    rows.iter_mut()
        .find(|r| r.code == "red_notice_deduction")
        .expect("deduction")
        .value = "-2".into();
    let d = Scheme::from_rows(&rows).expect_err("refused");
    let returns = line_of(&rows, "returns");
    let deduction = line_of(&rows, "red_notice_deduction");
    assert_eq!(
        d.iter().map(|d| d.line).collect::<Vec<_>>(),
        vec![Some(returns), Some(deduction)],
        "one error each, not repeated by validation: {d:?}"
    );
    assert_eq!(
        d[0].message_zh,
        format!("第 {returns} 行：“报送质量”的权重为 -10，不能为负数")
    );
    assert!(d[0].message_en.contains("negative"));
    assert!(
        d[1].message_zh
            .contains("“红色通报每次扣分”为 -2，不能为负数")
    );
}

#[test]
fn a_value_that_is_not_a_number_is_refused() {
    for bad in ["三十", "30分", "NaN", "inf", ""] {
        let rows = rows_with("indicators", bad);
        let d = Scheme::from_rows(&rows).expect_err(bad);
        assert_eq!(d.len(), 1, "{bad}: {d:?}");
        assert_eq!(d[0].line, Some(line_of(&rows, "indicators")));
        assert!(d[0].message_zh.contains("“指标达成”的权重"), "{d:?}");
    }
    let rows = rows_with("red_notice_cap", "十分");
    let d = Scheme::from_rows(&rows).expect_err("refused");
    assert!(d[0].message_zh.contains("不是数字"), "{d:?}");
}

#[test]
fn unknown_repeated_empty_and_missing_codes_are_refused_together() {
    let mut rows = scheme().to_rows();
    rows.retain(|r| r.code != "timeliness");
    rows[0].code = "名字".into();
    let mut dup = rows[2].clone();
    dup.line = 20;
    rows.push(dup);
    rows.push(SchemeRow {
        line: 21,
        value: "x".into(),
        ..Default::default()
    });
    let d = Scheme::from_rows(&rows).expect_err("refused");
    let texts: Vec<&str> = d.iter().map(|d| d.message_zh.as_str()).collect();
    assert_eq!(d.len(), 5, "{texts:?}");
    assert!(
        texts[0].starts_with("第 2 行：未知的代码“名字”"),
        "{texts:?}"
    );
    assert!(texts.contains(&"第 20 行：代码“note_en”与第 4 行重复"));
    assert!(texts.contains(&"第 21 行：“代码”为空"));
    // Missing rows have no line: they come last.
    assert!(texts.contains(&"缺少代码为“name”（名称）的行"), "{texts:?}");
    assert!(texts.contains(&"缺少代码为“timeliness”（报送及时）的行"));
    assert_eq!(d.last().map(|d| d.line), Some(None));
    assert!(d.iter().all(|d| !d.message_en.is_empty()));
    assert!(Scheme::from_rows(&[]).is_err());
}

#[test]
fn what_validate_refuses_is_named_on_the_settings_row() {
    let mut rows = rows_with("name", " ");
    rows.iter_mut()
        .find(|r| r.code == "red_notice_cap")
        .expect("cap")
        .value = "0".into();
    rows.iter_mut()
        .find(|r| r.code == "on_time")
        .expect("on_time")
        .value = "130".into();
    let d = Scheme::from_rows(&rows).expect_err("refused");
    let lines: Vec<Option<usize>> = d.iter().map(|d| d.line).collect();
    assert!(lines.contains(&Some(line_of(&rows, "name"))), "{d:?}");
    assert!(lines.contains(&Some(line_of(&rows, "red_notice_cap"))));
    assert!(
        d.iter()
            .any(|d| d.path == "weights.on_time" && d.message_zh.contains("应为 0 至 100 之间的数"))
    );
    assert!(d.iter().any(|d| d.path == "weights"), "the sum is off too");
    assert!(d.iter().all(|d| d.line.is_some()));
}

#[test]
fn a_table_without_the_value_column_is_refused_naming_it() {
    let header: Vec<String> = ["代码", "项目", "说明"].map(String::from).to_vec();
    let d = SchemeRow::from_table(1, &header, &[]).expect_err("refused");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].message_zh, "第 1 行：缺少“分值或内容”列");
    assert!(d[0].message_en.contains("“Value”"));
    // Headers in English or as keys, in any order, with extra columns.
    let header: Vec<String> = ["备注", "VALUE", "code"].map(String::from).to_vec();
    let body = vec![(2, vec![String::new(), "30".into(), " on_time ".into()])];
    let rows = SchemeRow::from_table(1, &header, &body).expect("read");
    assert_eq!(rows[0].code, "on_time");
    assert_eq!(rows[0].value, "30");
    assert_eq!(rows[0].line, 2);
}

#[test]
fn a_unit_with_nothing_to_count_has_no_score_and_ranks_last() {
    let scheme = Scheme::default_scheme();
    let empty = scheme.score(&UnitFacts::default());
    assert!(!empty.scored());
    let one = scheme.score(&UnitFacts {
        obligations_due: 1,
        ..UnitFacts::default()
    });
    assert!(
        one.scored() && one.total == 0.0,
        "due but not done: scored, 0"
    );
    assert_eq!(rank(&[f64::NAN, 0.0, 50.0]), vec![3, 2, 1]);
}

/// A district's summary counts its units, those scored and their points; districts add up
/// to the city by their sums, so the city's mean is not the mean of the districts' means.
#[test]
fn summaries_add_up_by_their_sums_not_their_means() {
    let scored = |total: f64| UnitScore {
        total,
        parts: vec![ScoreLine {
            component: Some(Component::ALL[0]),
            zh: String::new(),
            en: String::new(),
            points: total,
            max: 30.0,
        }],
    };
    let unscored = UnitScore {
        total: 0.0,
        parts: Vec::new(),
    };
    let a = Summary::of([&scored(90.0), &scored(70.0), &unscored]);
    assert_eq!((a.units, a.scored), (3, 2));
    assert_eq!(a.mean(), Some(80.0));
    let b = Summary::of([&scored(50.0)]);
    let mut city = a;
    city += b;
    assert_eq!((city.units, city.scored), (4, 3));
    assert_eq!(
        city.mean(),
        Some(70.0),
        "210 points over 3 units, not (80 + 50) / 2"
    );
    assert_eq!(
        Summary::of([&unscored]).mean(),
        None,
        "nothing scored: no mean"
    );
}
