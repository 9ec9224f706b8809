use super::*;
use crate::plan::default_plan;

fn sheet() -> Sheet {
    Sheet::default_sheet()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn lines(d: &[Diagnostic]) -> Vec<Option<usize>> {
    d.iter().map(|d| d.line).collect()
}

/// A small hand-made criterion.
fn crit(rule: &str, max: f64) -> Criterion {
    Criterion {
        code: "X.1.a".into(),
        text: "test".into(),
        max_points: max,
        rule: RuleKind::parse(rule).expect("test rules parse"),
        evidence: vec![],
        units: vec!["QQB".into()],
        contents: vec!["1.1.1".into()],
        indicators: vec![],
    }
}

fn facts(total: u32, accepted: u32) -> CriterionFacts {
    CriterionFacts {
        obligations_total: total,
        obligations_accepted: accepted,
        ..CriterionFacts::default()
    }
}

// ---------------------------------------------------------------- the default

#[test]
fn default_sheet_loads_and_validates() {
    let s = Sheet::load(DEFAULT_SHEET_TOML).expect("default sheet loads");
    assert_eq!(s.validate(), Ok(()));
    assert_eq!(s.validate_against(&default_plan()), Ok(()));
    assert_eq!(s, sheet());
    assert!(s.assumption);
    assert!(s.note_zh.contains("QCity 的假设"));
    assert!(s.note_en.contains("QCity's assumption"));
    assert!(s.note_zh.contains("推断") && s.note_en.contains("inference"));
    let codes: Vec<&str> = s.categories.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        codes,
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    );
    assert_eq!(s.categories[0].name, "城市质量发展战略规划明确清晰");
    assert_eq!(s.categories[9].name, "质量发展成果全民共享");
    assert!(s.categories[10].name.starts_with("质量发展实现制度创新"));
    assert!(close(s.base_total(), 1000.0));
    assert!(close(s.bonus_total(), 30.0));
    // Category 11 is all bonus; there is a veto.
    assert!(
        s.categories[10]
            .items
            .iter()
            .flat_map(|i| &i.criteria)
            .all(|c| c.rule.is_bonus())
    );
    let vetoes: Vec<&str> = s
        .criteria()
        .filter(|(_, _, c)| c.rule.is_veto())
        .map(|(_, _, c)| c.code.as_str())
        .collect();
    assert_eq!(vetoes, ["6.0.a"]);
    // Every content and indicator of the plan is judged somewhere.
    let plan = default_plan();
    for (_, _, content) in plan.contents() {
        assert!(
            s.criteria()
                .any(|(_, _, c)| c.contents.contains(&content.code)),
            "content {} is not judged",
            content.code
        );
    }
    for ind in &plan.indicators {
        assert!(
            s.criteria()
                .any(|(_, _, c)| c.indicators.contains(&ind.code)),
            "indicator {} is not judged",
            ind.code
        );
    }
    // Every rule kind appears, and exported TOML reads back the same.
    let kinds: Vec<&str> = s.criteria().map(|(_, _, c)| c.rule.name()).collect();
    for k in [
        "binary",
        "tiered",
        "proportional",
        "deduction",
        "bonus",
        "veto",
    ] {
        assert!(kinds.contains(&k), "{k}");
    }
    assert_eq!(Sheet::load(&s.to_toml()), Ok(s));
}

// ---------------------------------------------------------------- rule text

#[test]
fn rules_read_and_print_back() {
    for text in [
        "binary",
        "tiered: 0.5=0.4; 0.8=0.8; 1=1",
        "proportional",
        "proportional: 0.9",
        "deduction: 0.5",
        "bonus",
        "veto",
    ] {
        let rule = RuleKind::parse(text).expect(text);
        assert_eq!(rule.to_string(), text);
    }
    assert_eq!(
        RuleKind::parse("分档：50%=0.4；80%＝0.8，1=1"),
        RuleKind::parse("tiered: 0.5=0.4; 0.8=0.8; 1=1")
    );
    assert_eq!(RuleKind::parse(" 一票否决 "), Ok(RuleKind::Veto));
    assert_eq!(
        RuleKind::parse("扣分：2"),
        Ok(RuleKind::Deduction { per_gap: 2.0 })
    );
    assert_eq!(
        RuleKind::parse("Binary").map(|r| r.label(Lang::ZhCn)),
        Ok("全有或全无")
    );
}

#[test]
fn bad_rules_are_refused_in_both_languages() {
    for (text, zh) in [
        ("foo", "未知的评分方式“foo”"),
        ("deduction", "须写明每缺一项扣几分"),
        ("deduction: x", "不是每项扣分的数值"),
        ("binary: 1", "不带参数"),
        ("tiered", "须写明各档"),
        ("tiered: 0.5", "应写成“完成率=得分比例”"),
        ("proportional: lots", "不是比例"),
    ] {
        let e = RuleKind::parse(text).expect_err(text);
        assert!(e.zh.contains(zh), "{text}: {}", e.zh);
        assert!(!e.en.is_empty());
    }
}

// ---------------------------------------------------------------- validation

#[test]
fn validate_refuses_bad_sheets_with_paths() {
    let mut s = sheet();
    s.categories[0].items[0].criteria[0].max_points = -5.0;
    s.categories[0].items[1].criteria[0].code = "1.1.a".into();
    s.categories[5].items[0].criteria[0].max_points = 3.0; // the veto
    s.categories[1].items[3].criteria[0].rule = RuleKind::parse("tiered: 0.8=0.8; 0.5=0.9")
        .expect("parses; ranges are validate's business");
    s.categories[2].total = Some(99.0);
    let d = s.validate().expect_err("refused");
    let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
    assert!(paths.contains(&"categories[0].items[0].criteria[0].max_points"));
    assert!(paths.contains(&"categories[0].items[1].criteria[0].code"));
    assert!(paths.contains(&"categories[5].items[0].criteria[0].max_points"));
    assert!(paths.contains(&"categories[1].items[3].criteria[0].rule"));
    assert!(paths.contains(&"categories[2].total"));
    assert!(d.iter().any(|d| d.message_zh.contains("不能为负")));
    assert!(
        d.iter()
            .any(|d| d.message_zh.contains("一票否决项，不计分"))
    );
    assert!(d.iter().any(|d| d.message_zh.contains("标明合计 99 分")));
    assert!(d.iter().all(|d| !d.message_en.is_empty()));
}

#[test]
fn validate_against_names_unknown_references() {
    let mut s = sheet();
    let c = &mut s.categories[0].items[0].criteria[0];
    c.contents.push("9.9.9".into());
    c.indicators.push("XYZ-1".into());
    c.units.push("NOPE".into());
    let d = s
        .validate_against(&default_plan())
        .expect_err("unknown codes");
    assert_eq!(d.len(), 3);
    assert!(d.iter().any(|d| d.message_zh.contains("目标内容“9.9.9”")));
    assert!(
        d.iter()
            .any(|d| d.path == "categories[0].items[0].criteria[0].indicators[0]")
    );
}

#[test]
fn toml_errors_carry_line_and_chinese() {
    let src = DEFAULT_SHEET_TOML.replacen("rule = \"proportional\"", "rule = \"sometimes\"", 1);
    let d = Sheet::load(&src).expect_err("bad rule");
    assert_eq!(d.len(), 1);
    assert!(d[0].line.is_some());
    assert!(
        d[0].message_zh.contains("未知的评分方式“sometimes”"),
        "{}",
        d[0].message_zh
    );
    assert!(!d[0].message_en.contains(ZH_MARK));
    let src = DEFAULT_SHEET_TOML.replacen("max_points = 20", "max_points = -20", 1);
    let d = Sheet::load(&src).expect_err("negative");
    assert!(d[0].message_zh.contains("不能为负"));
}

// ---------------------------------------------------------------- proposals

#[test]
fn binary_needs_everything() {
    let mut c = crit("binary", 10.0);
    c.indicators = vec!["PRD-1".into()];
    let mut f = facts(2, 2);
    f.indicator_statuses = vec![("PRD-1".into(), Status::Met)];
    let p = c.propose(&f);
    assert_eq!(p.points, 10.0);
    assert!(p.missing.is_empty());
    assert_eq!(
        p.reasoning_zh,
        "已验收任务 2/2 项，达标指标 1/1 项；全有或全无：全部完成 → 10 分"
    );
    f.indicator_statuses = vec![("PRD-1".into(), Status::OnTrack)];
    let p = c.propose(&f);
    assert_eq!(p.points, 0.0);
    assert_eq!(p.missing, ["PRD-1"]);
    assert!(p.reasoning_zh.contains("PRD-1 进度正常"));
    // A recorded gap fails it too.
    let mut f = facts(2, 2);
    f.indicator_statuses = vec![("PRD-1".into(), Status::Met)];
    f.gaps = 1;
    assert_eq!(c.propose(&f).points, 0.0);
}

#[test]
fn tiered_takes_the_highest_tier_reached() {
    let c = crit("tiered: 0.5=0.4; 0.8=0.8; 1=1", 10.0);
    assert!(close(c.propose(&facts(10, 7)).points, 4.0));
    assert!(close(c.propose(&facts(10, 8)).points, 8.0));
    assert!(close(c.propose(&facts(10, 10)).points, 10.0));
    let p = c.propose(&facts(10, 4));
    assert_eq!(p.points, 0.0);
    assert!(p.reasoning_zh.contains("未达到最低档 0.5"));
}

#[test]
fn proportional_is_capped_at_its_target() {
    let c = crit("proportional: 0.8", 20.0);
    let p = c.propose(&facts(10, 6));
    assert!(close(p.points, 15.0), "20 × 0.6/0.8");
    assert!(
        p.reasoning_zh.contains("20 × 0.75 = 15 分"),
        "{}",
        p.reasoning_zh
    );
    assert!(close(c.propose(&facts(10, 9)).points, 20.0));
    // Obligations and indicators count one each: 3 of 5 done.
    let mut c = crit("proportional", 10.0);
    c.indicators = vec!["ENV-1".into(), "ENV-2".into()];
    let mut f = facts(3, 2);
    f.indicator_statuses = vec![("ENV-1".into(), Status::Met)];
    let p = c.propose(&f);
    assert!(close(p.points, 6.0));
    // The open obligations stand in as the content codes; ENV-2 has no data.
    assert_eq!(p.missing, ["1.1.1", "ENV-2"]);
    assert!(p.reasoning_zh.contains("ENV-2 无数据"));
    f.open_obligations = vec!["1.1.1 2015".into()];
    assert_eq!(c.propose(&f).missing, ["1.1.1 2015", "ENV-2"]);
}

#[test]
fn deduction_counts_every_gap_and_stops_at_zero() {
    let mut c = crit("deduction: 3", 12.0);
    c.indicators = vec!["ENV-1".into()];
    let mut f = facts(4, 3);
    f.indicator_statuses = vec![("ENV-1".into(), Status::NotMet)];
    f.gaps = 1;
    let p = c.propose(&f);
    assert!(close(p.points, 3.0), "12 − 3 × (1 + 1 + 1)");
    assert!(
        p.reasoning_zh
            .contains("缺 3 项 × 3 分 = 扣 9 分，12 − 9 = 3 分")
    );
    f.gaps = 5;
    let p = c.propose(&f);
    assert_eq!(p.points, 0.0);
    assert!(p.reasoning_zh.contains("最低 0 分"));
    // Recorded gaps alone decide a deduction with nothing linked.
    let mut c = crit("deduction: 1", 5.0);
    c.contents.clear();
    let f = CriterionFacts {
        gaps: 2,
        ..CriterionFacts::default()
    };
    let p = c.propose(&f);
    assert!(!p.needs_review);
    assert!(close(p.points, 3.0));
}

#[test]
fn bonus_is_proportional_and_said_to_be_outside_the_base() {
    let c = crit("bonus", 10.0);
    let p = c.propose(&facts(2, 1));
    assert!(close(p.points, 5.0));
    assert!(p.reasoning_zh.contains("不计入基本分"));
}

#[test]
fn veto_fails_on_a_recorded_event_and_always_wants_a_reviewer() {
    let mut c = crit("veto", 0.0);
    c.contents.clear();
    let p = c.propose(&CriterionFacts::default());
    assert!(p.needs_review && !p.vetoed);
    assert_eq!(p.points, 0.0);
    assert!(p.reasoning_zh.contains("须由审核人核实确认"));
    let p = c.propose(&CriterionFacts {
        gaps: 1,
        ..CriterionFacts::default()
    });
    assert!(p.needs_review && p.vetoed);
    assert!(p.reasoning_zh.contains("一票否决项未通过"));
}

#[test]
fn nothing_linked_needs_a_reviewer() {
    let mut c = crit("proportional", 8.0);
    c.contents.clear();
    let p = c.propose(&CriterionFacts::default());
    assert!(p.needs_review);
    assert_eq!(p.points, 0.0);
    assert!(p.reasoning_zh.contains("需审核人评判"));
    assert!(p.reasoning_en.contains("a reviewer must judge"));
}

// ---------------------------------------------------------------- rows

#[test]
fn rows_round_trip() {
    let s = sheet();
    let rows = s.to_rows();
    assert_eq!(rows.len(), s.criteria().count());
    assert_eq!(rows[0].line, 2);
    let mut back = Sheet::from_rows(&rows).expect("own rows read back");
    assert!(back.assumption);
    assert!(back.note_zh.contains("由表格导入"));
    back.name = s.name.clone();
    back.note_zh = s.note_zh.clone();
    back.note_en = s.note_en.clone();
    assert_eq!(back, s);
}

#[test]
fn rows_from_a_table_with_headers_in_any_order() {
    let s = sheet();
    let rows = s.to_rows();
    let mut header: Vec<String> = COLUMNS.iter().map(|c| c.zh.to_string()).collect();
    header.push("备注".into());
    let body: Vec<(usize, Vec<String>)> = rows.iter().map(|r| (r.line, r.cells())).collect();
    let read = SheetRow::from_table(1, &header, &body).expect("all columns present");
    assert_eq!(read, rows);

    header.retain(|h| h != "满分" && h != "评分方式");
    let d = SheetRow::from_table(1, &header, &body).expect_err("two columns missing");
    assert_eq!(d.len(), 2);
    assert!(d[0].message_zh.contains("缺少“满分”列"));
    assert_eq!(d[0].line, Some(1));
}

#[test]
fn bad_rows_are_each_named_and_nothing_is_imported() {
    let s = sheet();
    let mut rows = s.to_rows();
    rows[0].text = " ".into(); // line 2: missing value
    rows[1].max_points = "ten".into(); // line 3: not a number
    rows[2].max_points = "-5".into(); // line 4: negative
    rows[3].rule = "sometimes".into(); // line 5: unknown rule
    let d = Sheet::from_rows(&rows).expect_err("refused");
    assert_eq!(lines(&d), [Some(2), Some(3), Some(4), Some(5)]);
    assert!(d[0].message_zh.starts_with("第 2 行：“评分内容”为空"));
    assert!(d[1].message_zh.contains("满分“ten”不是数字"));
    assert!(d[2].message_zh.contains("满分 -5 为负数"));
    assert!(d[3].message_zh.contains("未知的评分方式“sometimes”"));
    assert!(d[3].message_en.starts_with("row 5: unknown rule kind"));
}

#[test]
fn a_category_total_that_does_not_add_up_is_refused_at_its_row() {
    let s = sheet();
    let mut rows = s.to_rows();
    // Category 1 is rows 2..=4 (three criteria, 60 points); say 70.
    for r in rows.iter_mut().filter(|r| r.category_code == "1") {
        r.declared_total = Some("70".into());
    }
    let d = Sheet::from_rows(&rows).expect_err("70 ≠ 60");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].line, Some(2));
    assert!(
        d[0].message_zh
            .contains("标明合计 70 分，但其评分标准分值合计为 60 分")
    );

    let mut rows = s.to_rows();
    rows[1].declared_total = Some("61".into());
    let d = Sheet::from_rows(&rows).expect_err("rows disagree");
    assert_eq!(lines(&d), [Some(3)]);
    assert!(d[0].message_zh.contains("第 2 行为 60 分"));
}

#[test]
fn inconsistent_rows_are_refused() {
    let s = sheet();
    let mut rows = s.to_rows();
    rows[1].criterion_code = rows[0].criterion_code.clone(); // line 3 repeats line 2
    rows[2].category_name = "别的名称".into(); // line 4: category named two ways
    let last = rows.len() - 1;
    rows[last].item_code = "1.1".into(); // an item under two categories
    rows[last].item_name = rows[0].item_name.clone();
    let d = Sheet::from_rows(&rows).expect_err("refused");
    assert_eq!(d.len(), 3, "{d:#?}");
    assert!(d[0].message_zh.contains("标准编号“1.1.a”与第 2 行重复"));
    assert!(d[1].message_zh.contains("类别“1”此处名为“别的名称”"));
    assert!(d[2].message_zh.contains("项目“1.1”此处属于类别“11”"));
}

#[test]
fn validation_errors_are_placed_on_their_row() {
    let s = sheet();
    let mut rows = s.to_rows();
    let at = rows
        .iter()
        .position(|r| r.rule.starts_with("tiered"))
        .expect("the default has a tiered criterion");
    rows[at].rule = "tiered: 0.8=0.8; 0.5=0.9".into();
    let veto = rows
        .iter()
        .position(|r| r.rule == "veto")
        .expect("the default has a veto");
    rows[veto].max_points = "5".into();
    let d = Sheet::from_rows(&rows).expect_err("refused");
    // The veto's 5 points also break category 6's declared total, which is
    // placed on the category's first row: the veto's own.
    assert_eq!(
        lines(&d),
        [
            Some(rows[at].line),
            Some(rows[veto].line),
            Some(rows[veto].line)
        ]
    );
    assert!(
        d[0].message_zh
            .starts_with(&format!("第 {} 行：", rows[at].line))
    );
    assert!(Sheet::from_rows(&[]).is_err());
}

// ---------------------------------------------------------------- readiness

#[test]
fn readiness_adds_up_and_a_failed_veto_fails_it_whole() {
    let s = sheet();
    let decided = vec![
        Decision::points("1.1.a", 20.0),
        Decision::points("1.2.a", 12.5),
        Decision::points("1.3.a", 99.0), // clamped to its 20
        Decision::points("11.1.a", 10.0),
        Decision::veto("6.0.a", false),
        Decision::points("nope", 1.0),
    ];
    let r = readiness(&s, &decided);
    assert!(close(r.base_earned, 52.5));
    assert!(close(r.bonus, 10.0));
    assert!(close(r.score, 62.5));
    assert!(close(r.base_total, 1000.0));
    assert!(close(r.percent(), 5.25));
    assert!(!r.vetoed);
    assert_eq!(r.unknown, ["nope"]);
    assert_eq!(r.by_category[0].undecided, 0);
    assert!(close(r.by_category[0].earned, 52.5));
    assert!(close(r.by_category[10].bonus_max, 30.0));
    assert_eq!(r.undecided.len(), s.criteria().count() - 5);

    let mut failed = decided.clone();
    failed.push(Decision::veto("6.0.a", true)); // the last decision wins
    let r = readiness(&s, &failed);
    assert!(r.vetoed);
    assert_eq!(r.vetoed_by, ["6.0.a"]);
    assert_eq!(r.score, 0.0);
    assert_eq!(r.percent(), 0.0);
    assert!(close(r.base_earned, 52.5), "points earned are still shown");
}

#[test]
fn gaps_are_ordered_by_points_at_stake_and_grouped_by_unit() {
    let s = sheet();
    let decided = vec![
        Decision::points("1.1.a", 20.0),
        Decision::points("1.2.a", 5.0),
        Decision::veto("6.0.a", false),
    ];
    let (_, _, c) = s.criterion("1.3.a").expect("in the default");
    let proposals = vec![("1.3.a".to_string(), c.propose(&facts(2, 1)))];
    let g = gaps(&s, &decided, &proposals);
    assert!(g.iter().all(|g| !g.veto), "the veto passed");
    assert!(
        !g.iter().any(|g| g.criterion == "1.1.a"),
        "full points: no gap"
    );
    // Sorted by points at stake, highest first.
    assert!(g.windows(2).all(|w| w[0].at_stake >= w[1].at_stake));
    let one_two = g.iter().find(|g| g.criterion == "1.2.a").expect("gap");
    assert!(close(one_two.at_stake, 15.0) && one_two.decided);
    let one_three = g.iter().find(|g| g.criterion == "1.3.a").expect("gap");
    assert!(close(one_three.at_stake, 10.0) && !one_three.decided);
    assert_eq!(one_three.missing, ["1.3.1"]);
    assert_eq!(one_three.units, ["CZJ"]);

    // An undecided veto comes first.
    let g = gaps(&s, &decided[..2], &proposals);
    assert_eq!(g[0].criterion, "6.0.a");
    assert!(g[0].veto);

    let by_unit = gaps_by_unit(&g);
    assert!(by_unit[0].vetoes > 0);
    let czj = by_unit
        .iter()
        .find(|u| u.unit == "CZJ")
        .expect("CZJ has a gap");
    assert!(czj.gaps.iter().any(|g| g.criterion == "1.3.a"));
    let rest: Vec<&UnitGaps> = by_unit.iter().filter(|u| u.vetoes == 0).collect();
    assert!(rest.windows(2).all(|w| w[0].at_stake >= w[1].at_stake));
}

/// The readiness percentage is its ratio's: base points counted over the base total, none
/// counted when a veto failed; ratios add up by their parts.
#[test]
fn readiness_ratio_is_the_percentage_in_parts() {
    let r = |earned: f64, total: f64, vetoed: bool| Readiness {
        pass_line: None,
        score: earned,
        base_total: total,
        base_earned: earned,
        bonus: 0.0,
        bonus_max: 0.0,
        vetoed,
        vetoed_by: Vec::new(),
        undecided: Vec::new(),
        unknown: Vec::new(),
        by_category: Vec::new(),
    };
    let cases = [
        (r(80.0, 100.0, false), 80.0, 80.0),
        (r(80.0, 100.0, true), 0.0, 0.0),
        (r(0.0, 0.0, false), 0.0, 0.0),
    ];
    for (readiness, numerator, percent) in &cases {
        assert!(close(readiness.ratio().numerator, *numerator));
        assert!(close(readiness.percent(), *percent));
    }
    let mut city = r(80.0, 100.0, false).ratio();
    city += r(30.0, 50.0, false).ratio();
    assert_eq!(city.percent().map(|p| (p * 10.0).round()), Some(733.0));
}
