//! Full-text search tokens, the same for the index and the query so that both databases match
//! Chinese text without a Chinese word list: a run of Han characters is indexed as its single
//! characters and its overlapping pairs (n-grams), other letters and digits as lower-case words.
//!
//! Indexed text is the tokens joined by spaces. Every token is made only of letters and digits,
//! so SQLite FTS5's default tokenizer and PostgreSQL's `simple` parser split it back into the
//! same tokens, and a query term never needs escaping.

use std::collections::BTreeSet;

/// At most this many terms are taken from a query (a pasted paragraph stays cheap).
pub const MAX_QUERY_TERMS: usize = 16;

/// True for the CJK unified ideographs (and their extensions and compatibility forms).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF | 0x30000..=0x3134F)
}

/// Full-width ASCII (as typed with a Chinese input method) as half-width, lower case.
fn fold(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    c.to_lowercase().next().unwrap_or(c)
}

/// A piece of text: a run of Han characters or a word of other letters and digits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Han(Vec<char>),
    Word(String),
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut han: Vec<char> = Vec::new();
    let mut word = String::new();
    for c in text.chars().map(fold) {
        if is_han(c) {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            han.push(c);
        } else if c.is_alphanumeric() {
            if !han.is_empty() {
                out.push(Piece::Han(std::mem::take(&mut han)));
            }
            word.push(c);
        } else {
            if !han.is_empty() {
                out.push(Piece::Han(std::mem::take(&mut han)));
            }
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
        }
    }
    if !han.is_empty() {
        out.push(Piece::Han(han));
    }
    if !word.is_empty() {
        out.push(Piece::Word(word));
    }
    out
}

/// The tokens indexed for `texts` (an enterprise's name, address, code …): each Han character,
/// each pair of neighbouring Han characters, and each word; no duplicates.
pub fn index_tokens(texts: &[&str]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut push = |t: String| {
        if seen.insert(t.clone()) {
            out.push(t);
        }
    };
    for text in texts {
        for piece in pieces(text) {
            match piece {
                Piece::Han(chars) => {
                    for c in &chars {
                        push(c.to_string());
                    }
                    for pair in chars.windows(2) {
                        push(pair.iter().collect());
                    }
                }
                Piece::Word(w) => push(w),
            }
        }
    }
    out
}

/// The indexed text: the tokens joined by spaces (stored in a search column).
pub fn index_text(texts: &[&str]) -> String {
    index_tokens(texts).join(" ")
}

/// One term of a query: every term must match (AND).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// The token itself (a Han character or pair).
    Exact(String),
    /// Any token starting with it (a word or a partial code: "91410108" finds the full code).
    Prefix(String),
}

impl Term {
    pub fn text(&self) -> &str {
        match self {
            Term::Exact(t) | Term::Prefix(t) => t,
        }
    }
}

/// The terms of what a user typed: a run of one Han character is that character, a longer run
/// its neighbouring pairs (so "惠济区" needs both "惠济" and "济区"), and a word a prefix.
/// Several words (separated by spaces or punctuation) must all match. Empty when nothing
/// searchable was typed.
pub fn query_terms(query: &str) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    let mut push = |t: Term| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for piece in pieces(query) {
        match piece {
            Piece::Han(chars) if chars.len() == 1 => push(Term::Exact(chars[0].to_string())),
            Piece::Han(chars) => {
                for pair in chars.windows(2) {
                    push(Term::Exact(pair.iter().collect()));
                }
            }
            Piece::Word(w) => push(Term::Prefix(w)),
        }
    }
    out.truncate(MAX_QUERY_TERMS);
    out
}

/// Whether every term of `query` is found in `texts`, by the rules the databases apply (for
/// text searched in memory, such as the plan's contents). An empty query matches everything.
pub fn matches(texts: &[&str], query: &str) -> bool {
    let terms = query_terms(query);
    if terms.is_empty() {
        return true;
    }
    let index = index_tokens(texts);
    terms.iter().all(|t| match t {
        Term::Exact(s) => index.contains(s),
        Term::Prefix(p) => index.iter().any(|i| i.starts_with(p.as_str())),
    })
}

/// The SQLite FTS5 query for `terms`: quoted terms, prefix terms starred, all required.
pub fn fts5_query(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| match t {
            Term::Exact(s) => format!("\"{s}\""),
            Term::Prefix(s) => format!("\"{s}\"*"),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The PostgreSQL `to_tsquery('simple', …)` text for `terms`: quoted lexemes, prefixes `:*`.
pub fn tsquery(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| match t {
            Term::Exact(s) => format!("'{s}'"),
            Term::Prefix(s) => format!("'{s}':*"),
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(texts: &[&str], query: &str) -> bool {
        matches(texts, query)
    }

    #[test]
    fn han_text_is_indexed_as_characters_and_neighbouring_pairs() {
        assert_eq!(
            index_tokens(&["惠济食品"]),
            vec!["惠", "济", "食", "品", "惠济", "济食", "食品"]
        );
    }

    #[test]
    fn words_and_codes_are_lower_case_and_split_from_han() {
        assert_eq!(
            index_tokens(&["ABC食品 91410108MA3X"]),
            vec!["abc", "食", "品", "食品", "91410108ma3x"]
        );
    }

    #[test]
    fn full_width_letters_and_digits_read_as_half_width() {
        assert_eq!(index_tokens(&["ＡＢ１２"]), vec!["ab12"]);
        assert_eq!(query_terms("９１４１"), vec![Term::Prefix("9141".into())]);
    }

    #[test]
    fn punctuation_and_duplicates_are_dropped() {
        assert_eq!(index_text(&["食品（食品）", "食品"]), "食 品 食品");
    }

    #[test]
    fn several_words_all_have_to_match() {
        let texts = ["郑州惠济区金华食品有限公司", "惠济区长兴路 8 号"];
        assert!(covers(&texts, "惠济 食品"));
        assert!(covers(&texts, "金华  长兴路"));
        assert!(!covers(&texts, "惠济 饮料"));
        assert!(covers(&texts, ""), "an empty query matches everything");
    }

    #[test]
    fn a_partial_code_is_a_prefix_term() {
        let texts = ["91410108MA3XGH1234"];
        assert_eq!(
            query_terms("91410108"),
            vec![Term::Prefix("91410108".into())]
        );
        assert!(covers(&texts, "91410108"));
        assert!(covers(&texts, "91410108ma"));
        assert!(!covers(&texts, "91410109"));
    }

    #[test]
    fn a_single_han_character_matches_alone_and_a_run_needs_its_pairs() {
        assert_eq!(query_terms("厂"), vec![Term::Exact("厂".into())]);
        assert_eq!(
            query_terms("惠济区"),
            vec![Term::Exact("惠济".into()), Term::Exact("济区".into())]
        );
    }

    #[test]
    fn nothing_searchable_gives_no_terms_and_long_queries_are_capped() {
        assert!(query_terms("  ，。-- ").is_empty());
        let long = (0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(query_terms(&long).len(), MAX_QUERY_TERMS);
    }

    #[test]
    fn database_queries_quote_every_term() {
        let terms = query_terms("惠济 9141");
        assert_eq!(fts5_query(&terms), "\"惠济\" AND \"9141\"*");
        assert_eq!(tsquery(&terms), "'惠济' & '9141':*");
    }
}
