//! A small classifier proposing a category for a free-text complaint: multinomial naive Bayes
//! over the characters and character bigrams of the Chinese text (Chinese needs no word
//! segmentation for this: bigrams such as 电梯, 计价, 商标 carry the category), learned from
//! labelled examples given as data. Below a confidence threshold the ticket waits in the
//! office's triage queue instead of being dispatched on a guess.
//!
//! The default examples ([`DEFAULT_TRAINING`]) cover the default categories with realistic
//! wording; the office may train on its own labelled tickets ([`parse_examples`]).

use std::collections::{BTreeMap, BTreeSet};

/// The default training set: `category|text` lines.
pub const DEFAULT_TRAINING: &str = include_str!("classify/training.txt");

/// The confidence below which a ticket goes to triage.
pub const DEFAULT_THRESHOLD: f64 = 0.6;

/// Each character enters up to three features (itself and two bigrams), which naive Bayes
/// counts as independent evidence; dividing the log-likelihoods by 3 keeps the confidence
/// from claiming certainty a short text does not give.
const OVERLAP: f64 = 3.0;

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub category: String,
    pub text: String,
}

/// Why a training text or set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainingError {
    #[error("line {line}: expected `category|text`")]
    Format { line: usize },
    #[error("line {line}: the text is empty")]
    EmptyText { line: usize },
    #[error("no examples")]
    Empty,
}

impl TrainingError {
    pub fn key(&self) -> &'static str {
        match self {
            Self::Format { .. } => "error-classifier-format",
            Self::EmptyText { .. } => "error-classifier-empty-text",
            Self::Empty => "error-classifier-empty",
        }
    }
}

/// Reads `category|text` lines (blank lines and `#` comment lines skipped).
pub fn parse_examples(text: &str) -> Result<Vec<Example>, TrainingError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let Some((cat, body)) = content.split_once(['|', '｜']) else {
            return Err(TrainingError::Format { line });
        };
        let (cat, body) = (cat.trim(), body.trim());
        if cat.is_empty() {
            return Err(TrainingError::Format { line });
        }
        if features(body).is_empty() {
            return Err(TrainingError::EmptyText { line });
        }
        out.push(Example {
            category: cat.to_string(),
            text: body.to_string(),
        });
    }
    Ok(out)
}

/// The features of a text: each letter or digit (digits folded to `0`, Latin letters
/// lower-cased) and each pair of neighbours within a run of them; punctuation and spaces
/// break runs.
pub fn features(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run
            .chars()
            .map(|c| {
                if c.is_numeric() {
                    '0'
                } else {
                    c.to_lowercase().next().unwrap_or(c)
                }
            })
            .collect();
        for (i, c) in chars.iter().enumerate() {
            out.push(c.to_string());
            if let Some(next) = chars.get(i + 1) {
                out.push(format!("{c}{next}"));
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
struct ClassModel {
    category: String,
    counts: BTreeMap<String, u32>,
    total: u32,
}

/// A trained classifier.
#[derive(Debug, Clone)]
pub struct Classifier {
    classes: Vec<ClassModel>,
    vocabulary: BTreeSet<String>,
    pub threshold: f64,
}

/// What the classifier proposes for a text.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    /// Confident enough to route.
    Category { code: String, confidence: f64 },
    /// Not confident: the office's triage queue; the best guess, if any, shown as a hint.
    Triage { best: Option<(String, f64)> },
}

impl Proposal {
    /// The proposed category when confident.
    pub fn category(&self) -> Option<&str> {
        match self {
            Proposal::Category { code, .. } => Some(code),
            Proposal::Triage { .. } => None,
        }
    }
}

impl Classifier {
    /// Learns from examples; every category gets the same prior (the office's mix of
    /// examples says nothing about the mix of complaints).
    pub fn train(examples: &[Example], threshold: f64) -> Result<Classifier, TrainingError> {
        if examples.is_empty() {
            return Err(TrainingError::Empty);
        }
        let mut by_cat: BTreeMap<&str, ClassModel> = BTreeMap::new();
        let mut vocabulary = BTreeSet::new();
        for e in examples {
            let model = by_cat
                .entry(e.category.as_str())
                .or_insert_with(|| ClassModel {
                    category: e.category.clone(),
                    counts: BTreeMap::new(),
                    total: 0,
                });
            for f in features(&e.text) {
                model.total += 1;
                *model.counts.entry(f.clone()).or_default() += 1;
                vocabulary.insert(f);
            }
        }
        Ok(Classifier {
            classes: by_cat.into_values().collect(),
            vocabulary,
            threshold,
        })
    }

    /// The default classifier over [`DEFAULT_TRAINING`].
    pub fn default_classifier() -> Classifier {
        // Built-in data, checked by the tests below.
        let examples = parse_examples(DEFAULT_TRAINING).expect("default training set parses");
        Classifier::train(&examples, DEFAULT_THRESHOLD).expect("default training set is not empty")
    }

    /// The categories it knows, in code order.
    pub fn categories(&self) -> Vec<&str> {
        self.classes.iter().map(|c| c.category.as_str()).collect()
    }

    /// Every category with its posterior probability, most likely first. Features never seen
    /// in training are ignored (they would favour the categories with fewer examples); a
    /// text with none left gets equal probabilities.
    pub fn scores(&self, text: &str) -> Vec<(String, f64)> {
        let known: Vec<String> = features(text)
            .into_iter()
            .filter(|f| self.vocabulary.contains(f))
            .collect();
        let v = self.vocabulary.len() as f64;
        let logs: Vec<f64> = self
            .classes
            .iter()
            .map(|c| {
                let denom = (f64::from(c.total) + v).ln();
                known
                    .iter()
                    .map(|f| (f64::from(c.counts.get(f).copied().unwrap_or(0)) + 1.0).ln() - denom)
                    .sum::<f64>()
                    / OVERLAP
            })
            .collect();
        let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = logs.iter().map(|l| (l - max).exp()).collect();
        let sum: f64 = exp.iter().sum();
        let mut out: Vec<(String, f64)> = self
            .classes
            .iter()
            .zip(exp)
            .map(|(c, e)| (c.category.clone(), e / sum))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// The proposal for a text: the best category when its probability reaches the
    /// threshold, triage otherwise.
    pub fn propose(&self, text: &str) -> Proposal {
        let best = self.scores(text).into_iter().next();
        match best {
            Some((code, confidence)) if confidence >= self.threshold => {
                Proposal::Category { code, confidence }
            }
            best => Proposal::Triage { best },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_characters_and_bigrams_within_runs() {
        assert_eq!(
            features("电梯，困人"),
            ["电", "电梯", "梯", "困", "困人", "人"]
        );
        assert_eq!(
            features("3C认证"),
            ["0", "0c", "c", "c认", "认", "认证", "证"]
        );
        assert!(features(" ，。!").is_empty());
    }

    #[test]
    fn the_default_set_covers_eight_categories_with_several_examples() {
        let examples = parse_examples(DEFAULT_TRAINING).unwrap();
        let c = Classifier::default_classifier();
        assert!(c.categories().len() >= 8);
        for cat in c.categories() {
            let n = examples.iter().filter(|e| e.category == cat).count();
            assert!(n >= 8, "{cat}: {n} examples");
        }
        // Every default category is one the catalogue routes.
        let catalogue = super::super::catalogue::Catalogue::default_catalogue();
        for cat in c.categories() {
            assert!(catalogue.route(cat, None).is_ok(), "{cat}");
        }
    }

    #[test]
    fn held_out_accuracy() {
        let c = Classifier::default_classifier();
        let held = parse_examples(include_str!("classify/heldout.txt")).unwrap();
        assert!(held.len() >= 20);
        let mut right = 0;
        let mut routed = 0;
        let mut confident_wrong = Vec::new();
        for e in &held {
            let top = &c.scores(&e.text)[0];
            if top.0 == e.category {
                right += 1;
            } else if top.1 >= c.threshold {
                confident_wrong.push((e.text.clone(), top.clone()));
            }
            if c.propose(&e.text).category().is_some() {
                routed += 1;
            }
        }
        let accuracy = right as f64 / held.len() as f64;
        assert!(accuracy >= 0.85, "accuracy {accuracy:.2}");
        // Most clear complaints are routed without the office (24 held out: 22 routed when
        // this was written, the two vaguest service complaints went to triage).
        assert!(
            routed * 4 >= held.len() * 3,
            "routed {routed} of {}",
            held.len()
        );
        // A wrong guess should rather go to triage than to the wrong unit.
        assert!(confident_wrong.len() <= 1, "{confident_wrong:?}");
    }

    #[test]
    fn proposals_and_triage() {
        let c = Classifier::default_classifier();
        let cases = [
            (
                "小区电梯又坏了，困了人也没人来修",
                Some("special_equipment"),
            ),
            ("菜市场的秤缺斤短两", Some("metering")),
            ("工厂晚上偷排污水，河水发臭", Some("environment")),
            ("你好", None),
            ("投诉商家", None),
            ("质量有问题", None),
            ("", None),
            ("asdf qwer", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                c.propose(text).category(),
                want,
                "{text}: {:?}",
                c.scores(text)
            );
        }
        // Nothing known: every category equally likely, and triage.
        let s = c.scores("xyz");
        assert!((s[0].1 - 1.0 / s.len() as f64).abs() < 1e-9);
        let strict = Classifier {
            threshold: 1.01,
            ..c
        };
        assert!(matches!(
            strict.propose("菜市场的秤缺斤短两"),
            Proposal::Triage { best: Some((ref code, _)) } if code == "metering"
        ));
    }

    #[test]
    fn bad_training_text_is_refused() {
        assert_eq!(
            parse_examples("food 过期牛奶").unwrap_err(),
            TrainingError::Format { line: 1 }
        );
        assert_eq!(
            parse_examples("# c\nfood|，。").unwrap_err(),
            TrainingError::EmptyText { line: 2 }
        );
        assert_eq!(
            parse_examples("|过期").unwrap_err(),
            TrainingError::Format { line: 1 }
        );
        assert_eq!(
            Classifier::train(&[], 0.5).unwrap_err(),
            TrainingError::Empty
        );
        assert_eq!(TrainingError::Empty.key(), "error-classifier-empty");
    }
}
