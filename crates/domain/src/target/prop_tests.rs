//! Property tests for the target language.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::{
    Anchor, Lang, Observations, Op, Part, RankBound, Status, Target, TrendDirection, Unit,
    evaluate, explain, parse, path_target,
};

// ---- generators ----

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        // Decimals as people write them.
        (-1_000_000i64..1_000_000, 0i32..4).prop_map(|(m, d)| m as f64 / 10f64.powi(d)),
        // Any finite f64, including tiny and huge ones.
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
    ]
}

fn any_op() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![Op::Ge, Op::Gt, Op::Le, Op::Lt, Op::Eq])
}

fn any_unit() -> impl Strategy<Value = Option<Unit>> {
    prop::option::of(prop::sample::select(Unit::ALL.to_vec()))
}

/// Any non-empty text, quotes, backslashes and newlines included.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof!["(?s).{1,12}", "[\"\\\\“”全国平均水平 a-z]{1,12}",]
}

fn any_year() -> impl Strategy<Value = i32> {
    1000i32..=9999
}

/// 2–5 anchors, years increasing, values moving one way with distinct ends.
fn any_anchors() -> impl Strategy<Value = Vec<Anchor>> {
    (
        1900i32..2100,
        -100_000i64..100_000,
        any::<bool>(),
        prop::collection::vec((1i32..10, 0i64..1000), 1..5),
    )
        .prop_map(|(start_year, start, rising, steps)| {
            let sign = if rising { 1 } else { -1 };
            let total: i64 = steps.iter().map(|s| s.1).sum();
            let mut anchors = vec![Anchor {
                year: start_year,
                value: start as f64 / 10.0,
            }];
            let (mut year, mut level) = (start_year, start);
            let last = steps.len() - 1;
            for (i, (dy, dv)) in steps.into_iter().enumerate() {
                // Force a change at the end when every step was flat.
                let dv = if i == last && total == 0 { 1 } else { dv };
                year += dy;
                level += sign * dv;
                anchors.push(Anchor {
                    year,
                    value: level as f64 / 10.0,
                });
            }
            anchors
        })
}

fn any_leaf() -> impl Strategy<Value = Target> {
    prop_oneof![
        (any_op(), any_number(), any_unit()).prop_map(|(op, value, unit)| Target::Compare {
            op,
            value,
            unit
        }),
        Just(Target::Eliminate),
        (1u32..=1000, any_year()).prop_map(|(p, baseline_year)| Target::Reduce {
            percent: f64::from(p) / 10.0,
            baseline_year,
        }),
        (any_anchors(), any_unit()).prop_map(|(anchors, unit)| Target::Path { anchors, unit }),
        (any::<bool>(), 1u32..=100).prop_map(|(up, years)| Target::Trend {
            direction: if up {
                TrendDirection::Up
            } else {
                TrendDirection::Down
            },
            years,
        }),
        (prop::option::of(1u32..), any_text()).prop_map(|(n, peers)| Target::Rank {
            bound: n.map_or(RankBound::Leading, RankBound::AtMost),
            peers,
        }),
        (any_op(), any_text()).prop_map(|(op, name)| Target::Benchmark { op, name }),
        any_text().prop_map(|description| Target::Qualitative { description }),
    ]
}

fn any_target() -> impl Strategy<Value = Target> {
    let tree = any_leaf().prop_recursive(3, 24, 4, |inner| {
        let part = ("[a-z][a-z0-9_]{0,6}", prop::option::of(any_text()), inner).prop_map(
            |(label, name, target)| Part {
                label,
                name,
                target,
            },
        );
        (any::<bool>(), prop::collection::vec(part, 1..4)).prop_map(|(all, parts)| {
            if all {
                Target::All(parts)
            } else {
                Target::Any(parts)
            }
        })
    });
    tree.prop_map(|mut t| {
        make_labels_unique(&mut t, &mut 0);
        t
    })
}

/// Suffix every label with a distinct counter: the parser rejects repeats.
fn make_labels_unique(target: &mut Target, counter: &mut usize) {
    if let Target::All(parts) | Target::Any(parts) = target {
        for part in parts {
            part.label = format!("{}_{counter}", part.label);
            *counter += 1;
            make_labels_unique(&mut part.target, counter);
        }
    }
}

fn end_of(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default()
}

/// Strings made of the language's own tokens, more likely to get deep into
/// the parser than random text.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = vec![
        ">=",
        ">",
        "<=",
        "<",
        "=",
        "≥",
        "≤",
        "％",
        "：",
        "→",
        "->",
        "-",
        "%",
        "96",
        "92.5",
        "0.",
        ".5",
        "2013",
        "2016:",
        "eliminate",
        "reduce",
        "vs",
        "path",
        "trend",
        "up",
        "down",
        "years",
        "rank",
        "leading",
        "among",
        "benchmark",
        "qualitative",
        "all(",
        "any(",
        "(",
        ")",
        ";",
        ":",
        "a:",
        "b",
        "\"",
        "“",
        "”",
        "\\",
        "x",
        "dB(A)",
        "ug/m3",
        "count",
        " ",
        "　",
        "９",
        "个",
        "\n",
    ];
    prop::collection::vec(prop::sample::select(tokens), 0..40).prop_map(|t| t.concat())
}

proptest! {
    #[test]
    fn parse_of_print_is_identity(t in any_target()) {
        let printed = t.to_string();
        prop_assert_eq!(parse(&printed), Ok(t.clone()), "printed: {}", printed);
    }

    #[test]
    fn explanations_are_never_empty(t in any_target()) {
        prop_assert!(!explain(&t, Lang::ZhCn).is_empty());
        prop_assert!(!explain(&t, Lang::En).is_empty());
    }

    #[test]
    fn path_hits_anchors_and_stays_between_them(anchors in any_anchors()) {
        for a in &anchors {
            prop_assert_eq!(path_target(&anchors, a.year), Some(a.value));
        }
        for pair in anchors.windows(2) {
            let (lo, hi) = (pair[0].value.min(pair[1].value), pair[0].value.max(pair[1].value));
            for year in pair[0].year..=pair[1].year {
                let v = path_target(&anchors, year);
                prop_assert!(v.is_some_and(|v| lo <= v && v <= hi), "{year}: {v:?}");
            }
        }
        let (first, last) = (anchors[0], anchors[anchors.len() - 1]);
        prop_assert_eq!(path_target(&anchors, last.year + 7), Some(last.value));
        prop_assert_eq!(path_target(&anchors, first.year - 1), None);
    }

    #[test]
    fn strict_trend_fails_on_any_flat_year(
        up in any::<bool>(),
        steps in prop::collection::vec(1u32..1000, 1..10),
        start in -1000i32..1000,
        flat_at in any::<prop::sample::Index>(),
    ) {
        let n = steps.len();
        let sign = if up { 1.0 } else { -1.0 };
        let mut level = f64::from(start);
        let mut points = vec![(2000, level)];
        for (i, step) in steps.iter().enumerate() {
            level += sign * f64::from(*step) / 10.0;
            points.push((2001 + i as i32, level));
        }
        let dir = if up { "up" } else { "down" };
        let target = format!("trend {dir} {n} years");
        let strict = Observations::new().with_series("", &points);
        let last_year = 2000 + n as i32;
        let e = evaluate(&parse(&target).map_err(|e| TestCaseError::fail(e.to_string()))?, &strict, end_of(last_year));
        prop_assert_eq!(e.status, Status::Met, "{}", e.explanation_en);

        // Make one year equal to the year before it.
        let k = 1 + flat_at.index(n);
        let mut flat = points.clone();
        flat[k].1 = flat[k - 1].1;
        let obs = Observations::new().with_series("", &flat);
        let t = parse(&target).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let e = evaluate(&t, &obs, end_of(last_year));
        prop_assert_eq!(e.status, Status::NotMet, "{}", e.explanation_en);
    }

    #[test]
    fn comparison_flips_exactly_at_the_threshold(
        op in any_op(),
        threshold in -10_000i32..10_000,
        delta in 1e-6f64..1000.0,
    ) {
        let t = f64::from(threshold) / 10.0;
        let target = Target::Compare { op, value: t, unit: None };
        let status_for = |value: f64| {
            let obs = Observations::new().with_value("", 2014, value);
            evaluate(&target, &obs, end_of(2014)).status
        };
        let met = |yes: bool| if yes { Status::Met } else { Status::NotMet };
        let (at, above, below) = match op {
            Op::Ge => (true, true, false),
            Op::Gt => (false, true, false),
            Op::Le => (true, false, true),
            Op::Lt => (false, false, true),
            Op::Eq => (true, false, false),
        };
        prop_assert_eq!(status_for(t), met(at));
        prop_assert_eq!(status_for(t + delta), met(above));
        prop_assert_eq!(status_for(t - delta), met(below));
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(s in any::<String>()) {
        check_parse_result(&s)?;
    }

    #[test]
    fn parse_never_panics_on_token_soup(s in token_soup()) {
        check_parse_result(&s)?;
    }

    /// A valid target with a piece cut out or spliced in (at a char
    /// boundary): what a clerk's slip or a garbled file gives.
    #[test]
    fn parse_never_panics_on_a_mutated_target(
        t in any_target(),
        at in any::<prop::sample::Index>(),
        cut in 0usize..12,
        piece in prop_oneof![token_soup(), any::<String>()],
    ) {
        let mut s = t.to_string();
        let mut start = at.index(s.len().max(1));
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + cut).min(s.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.replace_range(start..end.max(start), &piece);
        check_parse_result(&s)?;
    }

    #[test]
    fn all_is_the_worst_part_and_any_the_best(
        t in any_target(),
        values in prop::collection::vec((2010i32..2016, -100i32..100), 0..8),
        deadline in prop::option::of(2012i32..2018),
    ) {
        // The same series under every label a generated target may use.
        let mut obs = Observations::new();
        obs.deadline_year = deadline;
        let points: Vec<(i32, f64)> = values.iter().map(|&(y, v)| (y, f64::from(v))).collect();
        for label in labels(&t) {
            obs = obs.with_series(&label, &points);
        }
        let e = evaluate(&t, &obs, end_of(2015));
        prop_assert!(!e.explanation_zh.is_empty() && !e.explanation_en.is_empty());
        let order = |s: Status| [Status::NotMet, Status::OffTrack, Status::NoData, Status::OnTrack, Status::Met]
            .iter()
            .position(|x| *x == s);
        let parts = e.per_part.iter().map(|(_, p)| order(p.status));
        match &t {
            Target::All(_) => prop_assert_eq!(Some(order(e.status)), parts.min()),
            Target::Any(_) => prop_assert_eq!(Some(order(e.status)), parts.max()),
            _ => prop_assert!(e.per_part.is_empty()),
        }
    }
}

/// Every label in a target, and "" for the top level.
fn labels(t: &Target) -> Vec<String> {
    let mut out = vec![String::new()];
    if let Target::All(parts) | Target::Any(parts) = t {
        for p in parts {
            out.push(p.label.clone());
            out.extend(labels(&p.target));
        }
    }
    out
}

/// An error points inside the text at a character boundary; an accepted
/// text prints to a canonical form that parses back to the same target.
fn check_parse_result(s: &str) -> Result<(), TestCaseError> {
    match parse(s) {
        Err(e) => {
            prop_assert!(
                e.offset <= s.len() && s.is_char_boundary(e.offset),
                "{e:?} in {s:?}"
            );
            prop_assert!(!e.message(Lang::ZhCn).is_empty());
        }
        Ok(t) => {
            let printed = t.to_string();
            prop_assert_eq!(parse(&printed), Ok(t), "{:?} printed as {:?}", s, printed);
        }
    }
    Ok(())
}

/// Nesting as deep as a hostile text likes is an error, not a stack overflow.
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for open in ["all(", "any(", "(", "a: all("] {
        let s = open.repeat(100_000);
        check_parse_result(&s).unwrap_or_else(|e| panic!("{e}"));
        assert!(parse(&s).is_err());
    }
}
