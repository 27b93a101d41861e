//! One source file's coverage: line hits, branches and functions, merged across records.

use std::collections::HashMap;

/// Hit counts per line, sorted by line number, one entry per line.
///
/// A 20,000-file report holds about eight million lines, so an entry is kept small:
/// two 16-bit numbers while the file's line numbers fit (nearly every file), two 32-bit
/// ones otherwise, with the rare count that does not fit kept exactly beside them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines {
    entries: Entries,
    large: Vec<(u32, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entries {
    Narrow(Vec<(u16, u16)>),
    Wide(Vec<(u32, u32)>),
}

impl Default for Entries {
    fn default() -> Self {
        Entries::Narrow(Vec::new())
    }
}

impl Lines {
    /// Lines from a slice of `(line, hits)` pairs sorted by line, each line once: in one
    /// pass when every number fits the narrow form, as nearly every file's do.
    pub(crate) fn from_sorted_slice(pairs: &[(u32, u64)]) -> Self {
        let narrow = pairs
            .last()
            .is_none_or(|&(line, _)| line <= u32::from(u16::MAX))
            && pairs.iter().all(|&(_, hits)| hits < u64::from(u16::MAX));
        if !narrow {
            return Lines::from_sorted(pairs.iter().copied());
        }
        Lines {
            entries: Entries::Narrow(
                pairs
                    .iter()
                    .map(|&(line, hits)| (line as u16, hits as u16))
                    .collect(),
            ),
            large: Vec::new(),
        }
    }

    /// Lines from `(line, hits)` pairs sorted by line, each line once.
    pub fn from_sorted(pairs: impl IntoIterator<Item = (u32, u64)>) -> Self {
        let iter = pairs.into_iter();
        let mut lines = Lines {
            entries: Entries::Narrow(Vec::with_capacity(iter.size_hint().0)),
            large: Vec::new(),
        };
        for (line, hits) in iter {
            lines.push(line, hits);
        }
        lines.shrink();
        lines
    }

    fn push(&mut self, line: u32, hits: u64) {
        debug_assert!(self.is_empty() || self.at(self.len() - 1).0 < line);
        if let Entries::Narrow(narrow) = &self.entries
            && u16::try_from(line).is_err()
        {
            let wide = narrow
                .iter()
                .map(|&(line, hits)| {
                    let hits = if hits == u16::MAX {
                        u32::MAX
                    } else {
                        u32::from(hits)
                    };
                    (u32::from(line), hits)
                })
                .collect();
            self.entries = Entries::Wide(wide);
        }
        let fits = match &mut self.entries {
            Entries::Narrow(narrow) => match u16::try_from(hits) {
                Ok(small) if small != u16::MAX => {
                    narrow.push((line as u16, small));
                    true
                }
                _ => {
                    narrow.push((line as u16, u16::MAX));
                    false
                }
            },
            Entries::Wide(wide) => match u32::try_from(hits) {
                Ok(small) if small != u32::MAX => {
                    wide.push((line, small));
                    true
                }
                _ => {
                    wide.push((line, u32::MAX));
                    false
                }
            },
        };
        if !fits {
            self.large.push((line, hits));
        }
    }

    fn shrink(&mut self) {
        match &mut self.entries {
            Entries::Narrow(narrow) => narrow.shrink_to_fit(),
            Entries::Wide(wide) => wide.shrink_to_fit(),
        }
    }

    /// The line and hit count of entry `index`.
    fn at(&self, index: usize) -> (u32, u64) {
        let (line, small) = match &self.entries {
            Entries::Narrow(narrow) => {
                let (line, hits) = narrow[index];
                (
                    u32::from(line),
                    (hits != u16::MAX).then_some(u64::from(hits)),
                )
            }
            Entries::Wide(wide) => {
                let (line, hits) = wide[index];
                (line, (hits != u32::MAX).then_some(u64::from(hits)))
            }
        };
        let hits = small.unwrap_or_else(|| {
            self.large
                .iter()
                .find(|&&(l, _)| l == line)
                .map_or(0, |&(_, hits)| hits)
        });
        (line, hits)
    }

    /// The lines and their hit counts, in line order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        // One walk over whichever width the entries have: reports are written by
        // walking millions of these.
        let (narrow, wide) = match &self.entries {
            Entries::Narrow(narrow) => (narrow.as_slice(), &[][..]),
            Entries::Wide(wide) => (&[][..], wide.as_slice()),
        };
        let large = |line: u32| {
            self.large
                .iter()
                .find(|&&(l, _)| l == line)
                .map_or(0, |&(_, hits)| hits)
        };
        let narrow = narrow.iter().map(move |&(line, hits)| {
            let line = u32::from(line);
            let hits = if hits == u16::MAX {
                large(line)
            } else {
                u64::from(hits)
            };
            (line, hits)
        });
        let wide = wide.iter().map(move |&(line, hits)| {
            let hits = if hits == u32::MAX {
                large(line)
            } else {
                u64::from(hits)
            };
            (line, hits)
        });
        narrow.chain(wide)
    }

    /// The hit count of `line`, or `None` when the report has no entry for it.
    pub fn get(&self, line: u32) -> Option<u64> {
        let index = match &self.entries {
            Entries::Narrow(narrow) => {
                let line = u16::try_from(line).ok()?;
                narrow.binary_search_by_key(&line, |&(l, _)| l).ok()?
            }
            Entries::Wide(wide) => wide.binary_search_by_key(&line, |&(l, _)| l).ok()?,
        };
        Some(self.at(index).1)
    }

    /// How many lines have an entry.
    pub fn len(&self) -> usize {
        match &self.entries {
            Entries::Narrow(narrow) => narrow.len(),
            Entries::Wide(wide) => wide.len(),
        }
    }

    /// Whether no line has an entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many lines were hit at least once.
    pub fn hit(&self) -> usize {
        match &self.entries {
            Entries::Narrow(narrow) => narrow.iter().filter(|&&(_, hits)| hits > 0).count(),
            Entries::Wide(wide) => wide.iter().filter(|&&(_, hits)| hits > 0).count(),
        }
    }

    /// The sum of both, line by line.
    pub fn merge(&self, other: &Lines) -> Lines {
        let mut a = self.iter().peekable();
        let mut b = other.iter().peekable();
        let mut merged = Lines::default();
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&(la, ha)), Some(&(lb, hb))) if la == lb => {
                    a.next();
                    b.next();
                    (la, ha.saturating_add(hb))
                }
                (Some(&(la, _)), Some(&(lb, _))) if la < lb => a.next().unwrap(),
                (Some(_), Some(_)) => b.next().unwrap(),
                (Some(_), None) => a.next().unwrap(),
                (None, Some(_)) => b.next().unwrap(),
                (None, None) => break,
            };
            merged.push(next.0, next.1);
        }
        merged.shrink();
        merged
    }
}

/// One `BRDA` entry: a branch of a block on a line, and how often it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The line of the branch.
    pub line: u32,
    /// The block and branch identifiers as written (`block,branch`).
    pub id: Box<str>,
    /// Times taken; `None` when the block was never reached (`-`).
    pub taken: Option<u64>,
}

/// One function (`FN` / `FNDA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The function's name.
    pub name: Box<str>,
    /// Its first line, when an `FN` entry gave one.
    pub line: Option<u32>,
    /// Its last line, when the `FN` entry gave one.
    pub end_line: Option<u32>,
    /// Times called.
    pub hits: u64,
}

/// Everything a report says about one source file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCoverage {
    /// Line hit counts (`DA`).
    pub lines: Lines,
    /// Branches (`BRDA`), in the order first seen.
    pub branches: Vec<Branch>,
    /// Functions (`FN`/`FNDA`), in the order first seen.
    pub functions: Vec<Function>,
}

impl FileCoverage {
    /// Both files' coverage summed: hits per line, per branch and per function name.
    pub fn merge(&mut self, other: FileCoverage) {
        self.lines = self.lines.merge(&other.lines);
        let mut branch_index: HashMap<(u32, Box<str>), usize> = self
            .branches
            .iter()
            .enumerate()
            .map(|(i, b)| ((b.line, b.id.clone()), i))
            .collect();
        for branch in other.branches {
            match branch_index.get(&(branch.line, branch.id.clone())) {
                Some(&i) => {
                    let mine = &mut self.branches[i];
                    mine.taken = match (mine.taken, branch.taken) {
                        (None, None) => None,
                        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
                    };
                }
                None => {
                    branch_index.insert((branch.line, branch.id.clone()), self.branches.len());
                    self.branches.push(branch);
                }
            }
        }
        for function in other.functions {
            match self.functions.iter_mut().find(|f| f.name == function.name) {
                Some(mine) => {
                    mine.hits = mine.hits.saturating_add(function.hits);
                    mine.line = mine.line.or(function.line);
                    mine.end_line = mine.end_line.or(function.end_line);
                }
                None => self.functions.push(function),
            }
        }
    }

    /// Line coverage as diff-cover reads an lcov record, for the lines asked about.
    pub fn line_rules(&self) -> LineRules<'_> {
        LineRules::new(self)
    }

    /// How many branches were taken at least once.
    pub fn branches_hit(&self) -> usize {
        self.branches
            .iter()
            .filter(|b| b.taken.is_some_and(|t| t > 0))
            .count()
    }

    /// How many functions were called at least once.
    pub fn functions_hit(&self) -> usize {
        self.functions.iter().filter(|f| f.hits > 0).count()
    }
}

/// Whether a line is coverable and covered, by the rules diff-cover applies to lcov.
///
/// A line with a `DA` entry is coverable; it is covered when it was hit, or when it was
/// not but a branch on it was taken. A line without `DA` that holds branches is coverable
/// and covered when every branch on it was taken. A line without either that starts a
/// function is coverable and covered when the function was called.
pub struct LineRules<'a> {
    file: &'a FileCoverage,
    branches: HashMap<u32, BranchLine>,
    functions: HashMap<u32, u64>,
}

#[derive(Default, Clone, Copy)]
struct BranchLine {
    total: u32,
    hit: u32,
    executions: u64,
}

impl<'a> LineRules<'a> {
    fn new(file: &'a FileCoverage) -> Self {
        let mut branches: HashMap<u32, BranchLine> = HashMap::new();
        for branch in &file.branches {
            let entry = branches.entry(branch.line).or_default();
            let taken = branch.taken.unwrap_or(0);
            entry.total += 1;
            entry.executions = entry.executions.saturating_add(taken);
            if taken > 0 {
                entry.hit += 1;
            }
        }
        let mut functions = HashMap::new();
        for function in &file.functions {
            if let Some(line) = function.line {
                functions.entry(line).or_insert(function.hits);
            }
        }
        LineRules {
            file,
            branches,
            functions,
        }
    }

    /// `None` when the line is not coverable, else whether it is covered.
    pub fn covered(&self, line: u32) -> Option<bool> {
        self.covered_with(line, self.file.lines.get(line))
    }

    /// [`LineRules::covered`] for a caller that has looked up the line's `DA` hits
    /// already (walking the lines in order).
    pub(crate) fn covered_with(&self, line: u32, hits: Option<u64>) -> Option<bool> {
        let branches = self.branches.get(&line);
        if let Some(hits) = hits {
            return Some(hits > 0 || branches.is_some_and(|b| b.executions > 0));
        }
        if let Some(b) = branches {
            return Some(b.hit == b.total && b.executions > 0);
        }
        self.functions.get(&line).map(|&hits| hits > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(u32, u64)]) -> Lines {
        Lines::from_sorted(pairs.iter().copied())
    }

    #[test]
    fn counts_beyond_32_bits_are_kept_exactly() {
        let big = u64::from(u32::MAX) + 7;
        let l = lines(&[(1, 0), (2, big), (3, u64::from(u32::MAX))]);
        assert_eq!(l.get(2), Some(big));
        assert_eq!(l.get(3), Some(u64::from(u32::MAX)));
        assert_eq!(l.get(4), None);
        assert_eq!(l.hit(), 2);
        assert_eq!(
            l.iter().collect::<Vec<_>>(),
            [(1, 0), (2, big), (3, u64::from(u32::MAX))]
        );
    }

    #[test]
    fn counts_and_line_numbers_beyond_16_bits() {
        let pairs = [
            (1, 65_535),
            (2, 65_536),
            (3, 7),
            (65_535, 1),
            (65_536, 0),
            (1_000_000, u64::from(u32::MAX) + 1),
        ];
        // Narrow until the line past 16 bits, wide from then on: the same answers.
        let l = lines(&pairs);
        assert_eq!(l.iter().collect::<Vec<_>>(), pairs);
        assert_eq!(l.get(2), Some(65_536));
        assert_eq!(l.get(65_536), Some(0));
        assert_eq!(l.get(1_000_000), Some(u64::from(u32::MAX) + 1));
        assert_eq!(l.get(4), None);
        assert_eq!(l.hit(), 5);
        let narrow = lines(&pairs[..4]);
        assert_eq!(narrow.get(1), Some(65_535));
        assert_eq!(narrow.get(70_000), None);
        assert_eq!(narrow.merge(&lines(&pairs[4..])), l);
        // Read from a slice at once, or pair by pair: the same lines.
        for end in 0..=pairs.len() {
            for start in 0..end {
                let part = &pairs[start..end];
                assert_eq!(
                    Lines::from_sorted_slice(part),
                    Lines::from_sorted(part.iter().copied()),
                    "{part:?}"
                );
            }
        }
        let small = [(1, 0), (2, 65_534), (65_535, 3)];
        assert_eq!(Lines::from_sorted_slice(&small), lines(&small));
    }

    #[test]
    fn merging_sums_hits_per_line() {
        let merged = lines(&[(1, 1), (3, 0), (5, 2)]).merge(&lines(&[(2, 4), (3, 1), (5, 1)]));
        assert_eq!(
            merged.iter().collect::<Vec<_>>(),
            [(1, 1), (2, 4), (3, 1), (5, 3)]
        );
    }

    #[test]
    fn branch_and_function_lines_follow_diff_covers_rules() {
        let file = FileCoverage {
            lines: lines(&[(1, 0), (2, 0), (3, 5)]),
            branches: vec![
                Branch {
                    line: 2,
                    id: "0,0".into(),
                    taken: Some(1),
                },
                Branch {
                    line: 7,
                    id: "0,0".into(),
                    taken: Some(1),
                },
                Branch {
                    line: 7,
                    id: "0,1".into(),
                    taken: None,
                },
                Branch {
                    line: 8,
                    id: "0,0".into(),
                    taken: Some(2),
                },
            ],
            functions: vec![Function {
                name: "f".into(),
                line: Some(9),
                end_line: None,
                hits: 0,
            }],
        };
        let rules = file.line_rules();
        assert_eq!(rules.covered(1), Some(false));
        assert_eq!(
            rules.covered(2),
            Some(true),
            "a taken branch covers a DA:0 line"
        );
        assert_eq!(rules.covered(3), Some(true));
        assert_eq!(rules.covered(7), Some(false), "a partly taken branch line");
        assert_eq!(rules.covered(8), Some(true));
        assert_eq!(rules.covered(9), Some(false), "an uncalled function");
        assert_eq!(rules.covered(10), None);
    }
}
