//! The org hierarchy: province → city → district → member unit, as DHIS2 keeps org units.
//! A tree of ids with a level each; figures roll up the tree by summing what is additive
//! (counts, numerators and denominators), never by averaging percentages.

use std::collections::BTreeMap;
use std::ops::AddAssign;

/// How high an org unit stands. Offices, member units, groups and outside bodies are all
/// `Unit`: they take duties inside a district (or, for a city plan, the districts do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Province,
    City,
    District,
    Unit,
}

impl Level {
    /// The level of a stored unit kind (`org_units.kind`).
    pub fn of_kind(kind: &str) -> Level {
        match kind {
            "province" => Level::Province,
            "city" => Level::City,
            "district" => Level::District,
            _ => Level::Unit,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::District => "district",
            Level::Unit => "unit",
        }
    }
}

/// One org unit as the tree knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent: Option<i64>,
    pub level: Level,
}

/// The whole hierarchy, read once.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    nodes: BTreeMap<i64, Node>,
}

impl Tree {
    pub fn new(nodes: impl IntoIterator<Item = Node>) -> Tree {
        Tree {
            nodes: nodes.into_iter().map(|n| (n.id, n)).collect(),
        }
    }

    pub fn get(&self, id: i64) -> Option<&Node> {
        self.nodes.get(&id)
    }

    pub fn by_code(&self, code: &str) -> Option<&Node> {
        self.nodes.values().find(|n| n.code == code)
    }

    /// The unit itself, then its parent, up to the root. A cycle in stored data ends the
    /// walk instead of looping.
    pub fn ancestors_or_self(&self, id: i64) -> Vec<&Node> {
        let mut out: Vec<&Node> = Vec::new();
        let mut at = self.nodes.get(&id);
        while let Some(n) = at {
            if out.iter().any(|seen| seen.id == n.id) {
                break;
            }
            out.push(n);
            at = n.parent.and_then(|p| self.nodes.get(&p));
        }
        out
    }

    /// The nearest unit at `level` at or above `id`.
    pub fn ancestor_at(&self, id: i64, level: Level) -> Option<&Node> {
        self.ancestors_or_self(id)
            .into_iter()
            .find(|n| n.level == level)
    }

    /// Whether `id` is `root` or lies under it.
    pub fn is_within(&self, id: i64, root: i64) -> bool {
        self.ancestors_or_self(id).iter().any(|n| n.id == root)
    }

    /// The units at `level` under `root` (or everywhere when `root` is `None`), by code.
    pub fn at_level(&self, level: Level, root: Option<i64>) -> Vec<&Node> {
        let mut out: Vec<&Node> = self
            .nodes
            .values()
            .filter(|n| n.level == level && root.is_none_or(|r| self.is_within(n.id, r)))
            .collect();
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }

    /// Sums figures kept per unit into the units at `level` above them. A unit with no
    /// ancestor at that level (a city-level office, say) is left out, never guessed.
    pub fn roll_up<T: Default + Clone + AddAssign>(
        &self,
        per_unit: &BTreeMap<i64, T>,
        level: Level,
    ) -> BTreeMap<i64, T> {
        let mut out: BTreeMap<i64, T> = BTreeMap::new();
        for (unit, value) in per_unit {
            if let Some(a) = self.ancestor_at(*unit, level) {
                *out.entry(a.id).or_default() += value.clone();
            }
        }
        out
    }
}

/// A rate kept as its parts so that it rolls up: the city's pass rate is the sum of the
/// districts' passes over the sum of their tests, not the mean of their rates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ratio {
    pub numerator: f64,
    pub denominator: f64,
}

impl Ratio {
    /// The rate in per cent, or `None` when nothing was counted.
    pub fn percent(self) -> Option<f64> {
        (self.denominator > 0.0).then(|| self.numerator / self.denominator * 100.0)
    }
}

impl AddAssign for Ratio {
    fn add_assign(&mut self, o: Ratio) {
        self.numerator += o.numerator;
        self.denominator += o.denominator;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i64, code: &str, parent: Option<i64>, level: Level) -> Node {
        Node {
            id,
            code: code.into(),
            name: code.into(),
            parent,
            level,
        }
    }

    /// A city with two districts of two units each, and an office of the city itself.
    fn city() -> Tree {
        Tree::new([
            node(1, "ZZ", None, Level::City),
            node(2, "HUIJI", Some(1), Level::District),
            node(3, "JINSHUI", Some(1), Level::District),
            node(4, "ZJFJ", Some(2), Level::Unit),
            node(5, "NW", Some(2), Level::Unit),
            node(6, "JS_ZJFJ", Some(3), Level::Unit),
            node(7, "JS_NW", Some(3), Level::Unit),
            node(8, "ZZ_QQB", Some(1), Level::Unit),
        ])
    }

    #[test]
    fn subtrees_and_levels() {
        let t = city();
        assert_eq!(t.ancestor_at(6, Level::District).unwrap().code, "JINSHUI");
        assert_eq!(t.ancestor_at(2, Level::District).unwrap().code, "HUIJI");
        assert!(t.ancestor_at(8, Level::District).is_none());
        assert!(t.is_within(4, 2) && !t.is_within(4, 3) && t.is_within(7, 1));
        let districts: Vec<_> = t
            .at_level(Level::District, Some(1))
            .iter()
            .map(|n| n.code.as_str())
            .collect();
        assert_eq!(districts, ["HUIJI", "JINSHUI"]);
        assert!(t.at_level(Level::District, Some(2)).len() == 1);
        assert_eq!(Level::of_kind("member"), Level::Unit);
        assert_eq!(Level::of_kind("province"), Level::Province);
    }

    #[test]
    fn a_cycle_in_stored_data_ends_the_walk() {
        let t = Tree::new([
            node(1, "A", Some(2), Level::Unit),
            node(2, "B", Some(1), Level::Unit),
        ]);
        assert_eq!(t.ancestors_or_self(1).len(), 2);
        assert!(t.ancestor_at(1, Level::District).is_none());
    }

    #[test]
    fn rates_roll_up_by_their_parts_not_by_averaging() {
        let t = city();
        // Huiji: 9 of 10 and 1 of 10 → 50 %; Jinshui: 80 of 100. The city: 90 of 120 = 75 %,
        // where the mean of the districts' rates would say 65 %.
        let per_unit = BTreeMap::from([
            (
                4,
                Ratio {
                    numerator: 9.0,
                    denominator: 10.0,
                },
            ),
            (
                5,
                Ratio {
                    numerator: 1.0,
                    denominator: 10.0,
                },
            ),
            (
                6,
                Ratio {
                    numerator: 80.0,
                    denominator: 100.0,
                },
            ),
            (
                8,
                Ratio {
                    numerator: 5.0,
                    denominator: 5.0,
                },
            ),
        ]);
        let districts = t.roll_up(&per_unit, Level::District);
        assert_eq!(districts[&2].percent(), Some(50.0));
        assert_eq!(districts[&3].percent(), Some(80.0));
        assert_eq!(districts.len(), 2, "the city's own office has no district");
        let city = t.roll_up(&per_unit, Level::City);
        assert_eq!(city[&1].numerator, 95.0);
        assert_eq!(city[&1].denominator, 125.0);
        assert_eq!(Ratio::default().percent(), None);
    }
}
