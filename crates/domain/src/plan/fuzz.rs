//! Fuzz tests of the plan reader: arbitrary text, and the shipped plan with
//! its text cut, spliced and garbled, are read into a plan or diagnostics,
//! never a panic. Bounded case counts keep each under a few seconds in a
//! debug build; they run with every `cargo test` (and so in CI).

use proptest::prelude::*;

use super::{DEFAULT_PLAN_TOML, Plan};

/// Pieces that plan files are made of, to splice into the shipped plan.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::sample::select(vec![
            "[[categories]]\n",
            "[[categories.items.contents]]\n",
            "code = \"1.1\"\n",
            "deadline = 2016-13-45\n",
            "deadline = \"2016年底\"\n",
            "target = \"all(≥ 96%; ≤\"\n",
            "lead_units = [\"\n",
            "= = =\n",
            "\"\"\"\n",
            "[",
            "]",
            "{",
            "\u{feff}",
            "\0",
            "99999999999999999999999",
            "-0.0e309",
        ])
        .prop_map(str::to_string),
    ]
}

/// The shipped plan with up to four edits: a piece spliced in at a char
/// boundary, or a range cut.
fn mutated_plan() -> impl Strategy<Value = String> {
    prop::collection::vec((any::<prop::sample::Index>(), 0usize..400, piece()), 1..4).prop_map(
        |edits| {
            let mut text = DEFAULT_PLAN_TOML.to_string();
            for (at, cut, piece) in edits {
                let mut start = at.index(text.len().max(1));
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + cut).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.replace_range(start..end.max(start), &piece);
            }
            text
        },
    )
}

/// Every diagnostic of a refused plan says what and where, in both languages.
fn check(text: &str) -> Result<(), TestCaseError> {
    match Plan::load(text) {
        Ok((plan, _)) => {
            // A plan that reads also validates and exports without panicking.
            let _ = plan.validate(Some(text));
        }
        Err(diags) => {
            prop_assert!(!diags.is_empty());
            for d in diags {
                prop_assert!(
                    !d.message_en.is_empty() && !d.message_zh.is_empty(),
                    "{d:?}"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_is_refused_not_a_panic(text in any::<String>()) {
        check(&text)?;
    }
}

proptest! {
    // The shipped plan takes tens of milliseconds to read in a debug build.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_garbled_plan_is_refused_not_a_panic(text in mutated_plan()) {
        check(&text)?;
    }
}

/// Nesting as deep as a hostile file likes is refused, not a stack overflow.
#[test]
fn deep_nesting_is_refused() {
    for open in ["[", "{a=", "a=["] {
        let text = format!("x = {}", open.repeat(100_000));
        assert!(Plan::load(&text).is_err());
    }
}
