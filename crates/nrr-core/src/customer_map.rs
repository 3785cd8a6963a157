//! Customer ids merged into one (`customer_map.csv`, docs/input.md): a customer that moved
//! between billing systems, or is held twice in one, is one customer, so the move is neither
//! churn nor new.
//!
//! Every mapping goes straight to its final id: an id that is mapped is never a target, so a
//! chain (`a -> b`, `b -> c`) or a cycle (`a -> b`, `b -> a`) is refused rather than followed,
//! and applying the map twice changes nothing.
//!
//! ```
//! use nrr_core::customer_map::{CustomerMap, MapEntry, MapProblem};
//! let row = |from: &str, to: &str, line| MapEntry {
//!     from: from.into(),
//!     to: to.into(),
//!     line,
//!     note: String::new(),
//! };
//! let (map, refused) = CustomerMap::build(vec![
//!     row("legacy-1", "cus_1", 2),
//!     row("legacy-2", "cus_2", 3),
//!     row("cus_2", "cus_9", 4), // cus_2 is a target already: a chain, both rows refused
//! ]);
//! assert_eq!(map.target("legacy-1"), Some("cus_1"));
//! assert_eq!(map.target("legacy-2"), None);
//! assert_eq!(refused.len(), 2);
//! assert_eq!(refused[0].1, MapProblem::Chain { line: 4 });
//! ```

use std::collections::HashMap;

/// One row of the map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapEntry {
    /// The id as the input has it.
    pub from: String,
    /// The id it is counted as.
    pub to: String,
    /// The row's line in its file (for messages and `nrr explain`).
    pub line: u64,
    /// Why (optional; shown by `nrr explain`).
    pub note: String,
}

/// Why a row of the map is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapProblem {
    /// The row maps an id to itself.
    ToItself,
    /// The `from` id is mapped already, by the row at `line`.
    Duplicate {
        /// The line of the row that maps it first.
        line: u64,
    },
    /// The two rows form a chain or a cycle: this row's `to` is mapped itself (by the row at
    /// `line`), or this row's `from` is the target of the row at `line`.
    Chain {
        /// The line of the other row.
        line: u64,
    },
}

/// The merged customer ids.
#[derive(Clone, Debug, Default)]
pub struct CustomerMap {
    entries: Vec<MapEntry>,
    by_from: HashMap<String, usize>,
}

impl CustomerMap {
    /// The map of `rows` (in file order) with the rows it refuses, each with why: an id mapped
    /// to itself, an id mapped twice (the later row), and both rows of a chain or cycle.
    pub fn build(rows: Vec<MapEntry>) -> (CustomerMap, Vec<(MapEntry, MapProblem)>) {
        let mut refused = Vec::new();
        let mut first: HashMap<&str, u64> = HashMap::new();
        let mut problem: Vec<Option<MapProblem>> = vec![None; rows.len()];
        for (i, r) in rows.iter().enumerate() {
            if r.from == r.to {
                problem[i] = Some(MapProblem::ToItself);
            } else if let Some(&line) = first.get(r.from.as_str()) {
                problem[i] = Some(MapProblem::Duplicate { line });
            } else {
                first.insert(&r.from, r.line);
            }
        }
        // Chains and cycles: a target that is also mapped, against the rows kept so far.
        let targets: HashMap<&str, u64> = rows
            .iter()
            .zip(&problem)
            .filter(|(_, p)| p.is_none())
            .map(|(r, _)| (r.to.as_str(), r.line))
            .collect();
        for (i, r) in rows.iter().enumerate() {
            if problem[i].is_some() {
                continue;
            }
            if let Some(&line) = first.get(r.to.as_str()) {
                problem[i] = Some(MapProblem::Chain { line });
            } else if let Some(&line) = targets.get(r.from.as_str()) {
                problem[i] = Some(MapProblem::Chain { line });
            }
        }
        let mut map = CustomerMap::default();
        for (r, p) in rows.into_iter().zip(problem) {
            match p {
                Some(p) => refused.push((r, p)),
                None => {
                    map.by_from.insert(r.from.clone(), map.entries.len());
                    map.entries.push(r);
                }
            }
        }
        (map, refused)
    }

    /// The id `id` is counted as, when the map replaces it.
    pub fn target(&self, id: &str) -> Option<&str> {
        self.entry(id).map(|e| e.to.as_str())
    }

    /// The row that maps `id`, if any.
    pub fn entry(&self, id: &str) -> Option<&MapEntry> {
        self.by_from.get(id).map(|&i| &self.entries[i])
    }

    /// The rows that map other ids onto `to`, in file order.
    pub fn merged_into<'a>(&'a self, to: &'a str) -> impl Iterator<Item = &'a MapEntry> + 'a {
        self.entries.iter().filter(move |e| e.to == to)
    }

    /// Rows kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when no row is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(&str, &str)]) -> Vec<MapEntry> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (f, t))| MapEntry {
                from: f.to_string(),
                to: t.to_string(),
                line: i as u64 + 2,
                note: String::new(),
            })
            .collect()
    }

    #[test]
    fn several_ids_may_merge_into_one() {
        let (map, refused) = CustomerMap::build(rows(&[("a", "x"), ("b", "x"), ("c", "y")]));
        assert!(refused.is_empty());
        assert_eq!(map.target("a"), Some("x"));
        assert_eq!(map.target("x"), None);
        let into_x: Vec<&str> = map.merged_into("x").map(|e| e.from.as_str()).collect();
        assert_eq!(into_x, ["a", "b"]);
    }

    #[test]
    fn chains_cycles_self_maps_and_duplicates_are_refused_with_their_lines() {
        let (map, refused) = CustomerMap::build(rows(&[
            ("a", "b"), // line 2: b is mapped on line 3: chain
            ("b", "c"), // line 3: b is a target on line 2: chain
            ("d", "e"), // line 4: kept
            ("d", "f"), // line 5: d mapped on line 4
            ("g", "g"), // line 6: to itself
            ("h", "i"), // line 7 and 8: a cycle
            ("i", "h"),
        ]));
        let got: Vec<(u64, MapProblem)> = refused.iter().map(|(r, p)| (r.line, *p)).collect();
        assert_eq!(
            got,
            [
                (2, MapProblem::Chain { line: 3 }),
                (3, MapProblem::Chain { line: 2 }),
                (5, MapProblem::Duplicate { line: 4 }),
                (6, MapProblem::ToItself),
                (7, MapProblem::Chain { line: 8 }),
                (8, MapProblem::Chain { line: 7 }),
            ]
        );
        assert_eq!(map.len(), 1);
        assert_eq!(map.target("d"), Some("e"));
    }
}
