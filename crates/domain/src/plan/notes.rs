//! The plan's transcription notes (how the plan was taken from its source) in the reader's
//! language.
//!
//! Notes are written in English in the plan file. The office reads them in Chinese from a
//! catalogue of the default plan's notes (`plan/huiji-2014.notes-zh.toml`, one entry per
//! distinct note); a note the catalogue does not hold (a plan imported later) is shown as
//! typed. A Chinese note read back (from a workbook) maps back to the note as written, so
//! the plan's notes survive a round trip through the Chinese export.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::Plan;
use crate::target::Lang;

/// The Chinese translations of the default plan's notes.
pub const DEFAULT_NOTES_ZH_TOML: &str = include_str!("../../plan/huiji-2014.notes-zh.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    notes: Vec<CatalogueEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueEntry {
    en: String,
    zh: String,
}

/// The catalogue both ways: the note as written → Chinese, and Chinese → the note.
struct Catalogue {
    entries: Vec<(String, String)>,
    zh: HashMap<String, usize>,
    en: HashMap<String, usize>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let file: CatalogueFile = match toml::from_str(DEFAULT_NOTES_ZH_TOML) {
        Ok(file) => file,
        // The embedded file is fixed at build time; the tests below read it.
        Err(e) => panic!("the embedded notes catalogue does not load: {e}"),
    };
    let entries: Vec<(String, String)> = file.notes.into_iter().map(|e| (e.en, e.zh)).collect();
    let en = entries
        .iter()
        .enumerate()
        .map(|(i, (en, _))| (en.clone(), i))
        .collect();
    let zh = entries
        .iter()
        .enumerate()
        .map(|(i, (_, zh))| (zh.clone(), i))
        .collect();
    Catalogue { entries, zh, en }
});

/// A note in `lang`: in Chinese the catalogue's translation, or the note as typed when the
/// catalogue has none; in English the note as written.
pub fn note_in(note: &str, lang: Lang) -> &str {
    match lang {
        Lang::En => note,
        Lang::ZhCn => CATALOGUE
            .en
            .get(note)
            .map_or(note, |&i| CATALOGUE.entries[i].1.as_str()),
    }
}

/// Every note of a list in `lang` (see [`note_in`]).
pub fn notes_in(notes: &[String], lang: Lang) -> Vec<String> {
    notes.iter().map(|n| note_in(n, lang).to_string()).collect()
}

/// The note as the plan writes it for a catalogued note read in either language (a
/// translation gives its original); `None` for a text the catalogue does not know.
pub fn note_original(text: &str) -> Option<&'static str> {
    CATALOGUE
        .zh
        .get(text)
        .or_else(|| CATALOGUE.en.get(text))
        .map(|&i| CATALOGUE.entries[i].0.as_str())
}

impl Plan {
    /// Every note of the plan with the place it is on (`plan`, `unit QQB`, `indicator
    /// PRD-1`, `task T07`, `category 3`, `item 3.4`, `content 2.5.3`), in file order.
    pub fn all_notes(&self) -> Vec<(String, &str)> {
        fn at<'p>(out: &mut Vec<(String, &'p str)>, place: String, notes: &'p [String]) {
            out.extend(notes.iter().map(|n| (place.clone(), n.as_str())));
        }
        let mut out = Vec::new();
        at(&mut out, "plan".into(), &self.plan.notes);
        for u in &self.units {
            at(&mut out, format!("unit {}", u.code), &u.notes);
        }
        for i in &self.indicators {
            at(&mut out, format!("indicator {}", i.code), &i.notes);
        }
        for t in &self.tasks {
            at(&mut out, format!("task {}", t.code), &t.notes);
        }
        for cat in &self.categories {
            at(&mut out, format!("category {}", cat.code), &cat.notes);
            for item in &cat.items {
                at(&mut out, format!("item {}", item.code), &item.notes);
                for c in &item.contents {
                    at(&mut out, format!("content {}", c.code), &c.notes);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;
    use crate::plan::default_plan;

    /// The codes a note cites: dotted numbers (`2.5.3`, `92.5`), area codes (`PRD-1`),
    /// task codes (`T35`) and phase codes (`PH1`).
    fn codes(s: &str) -> BTreeSet<String> {
        let c: Vec<char> = s.chars().collect();
        let alnum = |i: usize| c.get(i).is_some_and(|ch| ch.is_ascii_alphanumeric());
        let digit = |i: usize| c.get(i).is_some_and(|ch| ch.is_ascii_digit());
        let upper = |i: usize| c.get(i).is_some_and(|ch| ch.is_ascii_uppercase());
        let digits_from = |mut i: usize| {
            while digit(i) {
                i += 1;
            }
            i
        };
        let mut out = BTreeSet::new();
        let mut i = 0;
        while i < c.len() {
            let starts = i == 0 || !(alnum(i - 1) || c[i - 1] == '.');
            if starts && digit(i) {
                // 2.5.3
                let mut end = digits_from(i);
                let mut dotted = false;
                while c.get(end) == Some(&'.') && digit(end + 1) {
                    end = digits_from(end + 1);
                    dotted = true;
                }
                if dotted {
                    out.insert(c[i..end].iter().collect());
                }
                i = end;
                continue;
            }
            if starts && upper(i) {
                let mut end = i;
                while upper(end) {
                    end += 1;
                }
                let letters: String = c[i..end].iter().collect();
                let code_end = if end - i >= 2 && c.get(end) == Some(&'-') && digit(end + 1) {
                    digits_from(end + 1) // PRD-1
                } else if (letters == "T" || letters == "PH") && digit(end) {
                    digits_from(end) // T35, PH1
                } else {
                    i
                };
                if code_end > i && !alnum(code_end) {
                    out.insert(c[i..code_end].iter().collect());
                }
                i = end.max(code_end);
                continue;
            }
            i += 1;
        }
        out
    }

    #[test]
    fn codes_are_found_where_the_notes_cite_them() {
        let found = codes("PRD-1 and ENV-6's PM2.5 (2.5.3, 92.5 %) T35；PH1 阶段 T06（x）");
        // PM2.5 is a name, not a code.
        let want = ["2.5.3", "92.5", "ENV-6", "PH1", "PRD-1", "T06", "T35"];
        assert_eq!(found, want.iter().map(|s| s.to_string()).collect());
        assert!(codes("2014-03-01..2014-05-31 TOML PM10 ST1X").is_empty());
    }

    #[test]
    fn the_catalogue_loads() {
        assert_eq!(
            CATALOGUE.entries.len(),
            CATALOGUE.en.len(),
            "an English note twice"
        );
        assert!(!CATALOGUE.entries.is_empty());
    }

    #[test]
    fn every_note_of_the_default_plan_has_a_chinese_translation() {
        let plan = default_plan();
        let missing: Vec<String> = plan
            .all_notes()
            .into_iter()
            .filter(|(_, n)| !CATALOGUE.en.contains_key(*n))
            .map(|(place, n)| format!("{place}: {n}"))
            .collect();
        assert!(
            missing.is_empty(),
            "notes without a Chinese translation in plan/huiji-2014.notes-zh.toml:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn the_catalogue_holds_only_notes_of_the_default_plan_and_its_city_plan_each_translated_once() {
        let plan = default_plan();
        let notes: HashSet<&str> = plan.all_notes().into_iter().map(|(_, n)| n).collect();
        assert_eq!(notes.len(), 275);
        // The city plan made from the template carries one note of its own.
        let notes: HashSet<&str> = notes
            .into_iter()
            .chain([crate::plan::CITY_PLAN_NOTE])
            .collect();
        let stale: Vec<&str> = CATALOGUE
            .entries
            .iter()
            .map(|(en, _)| en.as_str())
            .filter(|en| !notes.contains(en))
            .collect();
        assert!(
            stale.is_empty(),
            "entries for no note of the plan: {stale:#?}"
        );
        // A translation read back names one note.
        assert_eq!(
            CATALOGUE.zh.len(),
            CATALOGUE.entries.len(),
            "two notes, one translation"
        );
        for (en, zh) in &CATALOGUE.entries {
            assert!(
                !CATALOGUE.en.contains_key(zh),
                "{zh} is also a note as written"
            );
            assert_eq!(note_original(zh), Some(en.as_str()));
            assert_eq!(note_original(en), Some(en.as_str()));
        }
    }

    #[test]
    fn translations_are_chinese_and_keep_every_code() {
        let is_han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
        let mut problems = Vec::new();
        for (en, zh) in &CATALOGUE.entries {
            if zh.trim() != zh || zh.is_empty() || zh.contains(['\n', '\u{3000}']) {
                problems.push(format!("blank, padded or broken: {zh}"));
            }
            if zh.chars().filter(|&c| is_han(c)).count()
                <= en.chars().filter(|&c| is_han(c)).count()
            {
                problems.push(format!("not translated: {zh}"));
            }
            let lost: Vec<String> = codes(en).difference(&codes(zh)).cloned().collect();
            if !lost.is_empty() {
                problems.push(format!("{lost:?} missing from: {zh}"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn a_note_in_each_language() {
        let plan = default_plan();
        let note = &plan.units.iter().find(|u| u.code == "ZBZX").unwrap().notes[0];
        assert!(note.starts_with("Named only as an undertaking unit of 7.4.1"));
        assert_eq!(note_in(note, Lang::En), note);
        let zh = note_in(note, Lang::ZhCn);
        assert!(zh.starts_with("仅作为 7.4.1 的承办单位出现"), "{zh}");
        // A note of a later plan is shown as typed, in both languages.
        assert_eq!(
            note_in("typed by the office", Lang::ZhCn),
            "typed by the office"
        );
        assert_eq!(note_original("typed by the office"), None);
        assert_eq!(
            notes_in(&[note.clone(), "新备注".into()], Lang::ZhCn),
            [zh.to_string(), "新备注".to_string()]
        );
    }

    #[test]
    fn every_place_of_the_default_plan_is_counted() {
        let plan = default_plan();
        let all = plan.all_notes();
        assert_eq!(all.len(), 431);
        assert_eq!(all[0].0, "plan");
        assert!(all.iter().any(|(p, _)| p == "content 2.5.3"));
    }
}
