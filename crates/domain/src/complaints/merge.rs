//! Repeat complaints (重复诉求) and merging (并单, 国办函〔2025〕66号): suggestions for the
//! office, and the rule a merge obeys. A merged ticket keeps its own history and points at the
//! ticket it joined; the figures count it as a repeat.

use super::classify::features;
use super::ticket::Status;
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// What merging needs to know of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    /// The enterprise complained about (credit code when known, else its name); `None` when
    /// not named.
    pub enterprise: Option<String>,
    pub category: String,
    pub received: NaiveDate,
    pub text: String,
    pub status: Status,
}

/// When two tickets look like the same matter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MergeRule {
    /// Received within this many days of each other.
    pub window_days: i64,
    /// Bigram Jaccard similarity of the texts from which they look alike (0–1).
    pub text_threshold: f64,
}

impl Default for MergeRule {
    fn default() -> Self {
        MergeRule {
            window_days: 7,
            text_threshold: 0.35,
        }
    }
}

/// Why a ticket is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The same enterprise and category.
    SameEnterprise,
    /// The texts are alike.
    SimilarText,
}

/// A ticket the new one may repeat.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub id: i64,
    pub reasons: Vec<Reason>,
    /// Bigram Jaccard similarity of the texts.
    pub similarity: f64,
}

fn bigrams(text: &str) -> BTreeSet<String> {
    features(text)
        .into_iter()
        .filter(|f| f.chars().count() == 2)
        .collect()
}

/// Jaccard similarity of the character bigram sets of two texts (0 when either has none).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (bigrams(a), bigrams(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

fn same_enterprise(a: &Candidate, b: &Candidate) -> bool {
    let norm = |s: &Option<String>| {
        s.as_deref()
            .map(|x| x.split_whitespace().collect::<String>().to_uppercase())
            .filter(|x| !x.is_empty())
    };
    matches!((norm(&a.enterprise), norm(&b.enterprise)), (Some(x), Some(y)) if x == y)
}

/// The open tickets `new` may repeat, strongest first: the same enterprise and category, then
/// by similarity, then the older first.
pub fn suggestions(new: &Candidate, others: &[Candidate], rule: &MergeRule) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = others
        .iter()
        .filter(|o| o.id != new.id && !o.status.is_finished())
        .filter(|o| (o.received - new.received).num_days().abs() <= rule.window_days)
        .filter_map(|o| {
            let sim = similarity(&new.text, &o.text);
            let mut reasons = Vec::new();
            if same_enterprise(new, o) && o.category == new.category {
                reasons.push(Reason::SameEnterprise);
            }
            if sim >= rule.text_threshold {
                reasons.push(Reason::SimilarText);
            }
            (!reasons.is_empty()).then_some(Suggestion {
                id: o.id,
                reasons,
                similarity: sim,
            })
        })
        .collect();
    let received = |id: i64| {
        others
            .iter()
            .find(|o| o.id == id)
            .map(|o| (o.received, o.id))
    };
    out.sort_by(|a, b| {
        b.reasons
            .contains(&Reason::SameEnterprise)
            .cmp(&a.reasons.contains(&Reason::SameEnterprise))
            .then(b.similarity.total_cmp(&a.similarity))
            .then(received(a.id).cmp(&received(b.id)))
    });
    out
}

/// Why a merge is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("a ticket cannot be merged into itself")]
    SameTicket,
    /// The ticket to merge is closed, declined or merged already.
    #[error("the ticket is already {0}")]
    Finished(Status),
    /// The ticket to join is closed, declined or merged: join the one it was merged into.
    #[error("the ticket to join is {0}")]
    TargetFinished(Status),
    /// The newer ticket joins the older, so the older one's clock and unit stay.
    #[error("a ticket joins an older one, not a newer one")]
    IntoNewer,
}

impl MergeError {
    pub fn key(&self) -> &'static str {
        match self {
            Self::SameTicket => "error-merge-same-ticket",
            Self::Finished(_) => "error-merge-finished",
            Self::TargetFinished(_) => "error-merge-target-finished",
            Self::IntoNewer => "error-merge-into-newer",
        }
    }
}

/// Whether `dup` may be merged into `into`: two different tickets, both still open, the newer
/// joining the older (by received date, then by id). The transition itself is
/// [`super::ticket::apply`] with `Event::Merge`.
pub fn check_merge(dup: &Candidate, into: &Candidate) -> Result<(), MergeError> {
    if dup.id == into.id {
        return Err(MergeError::SameTicket);
    }
    if dup.status.is_finished() {
        return Err(MergeError::Finished(dup.status));
    }
    if into.status.is_finished() {
        return Err(MergeError::TargetFinished(into.status));
    }
    if (into.received, into.id) > (dup.received, dup.id) {
        return Err(MergeError::IntoNewer);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn t(id: i64, ent: Option<&str>, cat: &str, received: &str, text: &str) -> Candidate {
        Candidate {
            id,
            enterprise: ent.map(str::to_string),
            category: cat.into(),
            received: d(received),
            text: text.into(),
            status: Status::Handling,
        }
    }

    #[test]
    fn similarity_of_texts() {
        assert_eq!(similarity("电梯困人", "电梯困人"), 1.0);
        assert_eq!(similarity("电梯困人", "超市缺秤"), 0.0);
        assert_eq!(similarity("", "电梯"), 0.0);
        let s = similarity(
            "幸福小区3号楼电梯经常停运困人",
            "幸福小区3号楼的电梯又困人了",
        );
        assert!(s > 0.35 && s < 1.0, "{s}");
    }

    #[test]
    fn suggestions_table() {
        let new = t(
            10,
            Some("91410100MA3X0000XX"),
            "special_equipment",
            "2026-03-10",
            "幸福小区3号楼电梯经常停运困人",
        );
        let mut closed = t(
            5,
            None,
            "special_equipment",
            "2026-03-09",
            "幸福小区3号楼电梯困人",
        );
        closed.status = Status::Closed;
        let others = vec![
            // Same enterprise (spelled with a space, lower case) and category, other words.
            t(
                1,
                Some("91410100ma3x0000xx "),
                "special_equipment",
                "2026-03-05",
                "维保单位不来维修",
            ),
            // Same words, no enterprise named.
            t(
                2,
                None,
                "special_equipment",
                "2026-03-08",
                "幸福小区3号楼的电梯又困人了",
            ),
            // Same enterprise, another category, other words: not a repeat.
            t(
                3,
                Some("91410100MA3X0000XX"),
                "price",
                "2026-03-09",
                "物业乱收电梯费",
            ),
            // Same words but outside the window.
            t(
                4,
                None,
                "special_equipment",
                "2026-02-20",
                "幸福小区3号楼电梯经常停运困人",
            ),
            // Alike but closed: nothing to join.
            closed,
            // Itself.
            new.clone(),
        ];
        let got = suggestions(&new, &others, &MergeRule::default());
        let ids: Vec<(i64, Vec<Reason>)> = got.iter().map(|s| (s.id, s.reasons.clone())).collect();
        assert_eq!(
            ids,
            [
                (1, vec![Reason::SameEnterprise]),
                (2, vec![Reason::SimilarText])
            ]
        );
        let wide = MergeRule {
            window_days: 30,
            ..MergeRule::default()
        };
        let got = suggestions(&new, &others, &wide);
        assert_eq!(got.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 4, 2]);
    }

    #[test]
    fn merge_rule_table() {
        let older = t(1, None, "food", "2026-03-01", "a");
        let newer = t(2, None, "food", "2026-03-02", "b");
        let same_day = t(3, None, "food", "2026-03-02", "c");
        let mut closed = t(4, None, "food", "2026-02-01", "d");
        closed.status = Status::Closed;
        let mut merged = t(5, None, "food", "2026-03-03", "e");
        merged.status = Status::Merged;
        let cases = [
            (&newer, &older, Ok(())),
            (&same_day, &newer, Ok(())),
            (&newer, &same_day, Err(MergeError::IntoNewer)),
            (&older, &newer, Err(MergeError::IntoNewer)),
            (&older, &older, Err(MergeError::SameTicket)),
            (
                &newer,
                &closed,
                Err(MergeError::TargetFinished(Status::Closed)),
            ),
            (&merged, &older, Err(MergeError::Finished(Status::Merged))),
        ];
        for (dup, into, want) in cases {
            assert_eq!(check_merge(dup, into), want, "{} into {}", dup.id, into.id);
        }
        assert_eq!(MergeError::IntoNewer.key(), "error-merge-into-newer");
    }
}
