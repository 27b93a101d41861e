//! Patch coverage (the changed lines) and overall coverage (the whole report).

use std::collections::BTreeMap;

use camino::Utf8Path;

use crate::coverage::FileCoverage;
use crate::diff::ChangedLines;
use crate::filter::FileFilter;
use crate::lcov::LcovReport;
use crate::paths::PathMap;

/// A report's files under repository-relative paths.
#[derive(Debug, Clone, Default)]
pub struct RepoCoverage {
    /// Coverage per repository path.
    pub files: BTreeMap<String, FileCoverage>,
    /// `SF:` paths outside the repository, which are left out.
    pub outside: Vec<String>,
    /// Repository paths of the report that a [`FileFilter`] left out.
    pub filtered_out: Vec<String>,
}

impl RepoCoverage {
    /// Places each file of `report` in the repository; files that map to the same path merge.
    pub fn new(report: LcovReport, map: &PathMap) -> Self {
        let mut repo = RepoCoverage::default();
        for (source, coverage) in report.files {
            match map.locate(&source) {
                Some(path) => match repo.files.get_mut(&path) {
                    Some(existing) => existing.merge(coverage),
                    None => {
                        repo.files.insert(path, coverage);
                    }
                },
                None => repo.outside.push(source),
            }
        }
        repo
    }

    /// Leaves out the files `filter` does not admit, listing them in `filtered_out`.
    pub fn filter(&mut self, filter: &FileFilter, root: &Utf8Path) {
        if filter.is_empty() {
            return;
        }
        let (kept, left): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|(path, _)| filter.admits(path, root));
        self.files = kept;
        self.filtered_out.extend(left.into_keys());
    }
}

/// One changed file's patch coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    /// Repository-relative path.
    pub path: String,
    /// Changed lines of the file (coverable or not).
    pub changed_lines: usize,
    /// Changed coverable lines that ran.
    pub covered_lines: Vec<u32>,
    /// Changed coverable lines that did not run.
    pub violation_lines: Vec<u32>,
    /// Branches on changed lines.
    pub branches: usize,
    /// Branches on changed lines that were taken.
    pub branches_covered: usize,
    /// Changed lines holding a branch that was not taken.
    pub partial_branch_lines: Vec<u32>,
}

impl FilePatch {
    /// Changed coverable lines.
    pub fn measured(&self) -> usize {
        self.covered_lines.len() + self.violation_lines.len()
    }

    /// Percent of changed coverable lines that ran (`None` without any), computed as
    /// diff-cover computes it, so that the two agree to the last digit.
    pub fn percent(&self) -> Option<f64> {
        let measured = self.measured();
        (measured > 0).then(|| 100.0 - self.violation_lines.len() as f64 / measured as f64 * 100.0)
    }
}

/// Patch coverage of a change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatchCoverage {
    /// Changed files with changed coverable lines, by path.
    pub files: Vec<FilePatch>,
    /// Changed files with changed lines, none of them coverable (the report knows the file).
    pub files_without_coverable_lines: Vec<String>,
    /// Changed files with changed lines that the report does not know.
    pub files_not_in_report: Vec<String>,
    /// Changed lines in all changed files.
    pub changed_lines: usize,
}

impl PatchCoverage {
    /// Patch coverage of `changed` by `coverage`.
    pub fn compute(changed: &ChangedLines, coverage: &RepoCoverage) -> Self {
        let mut patch = PatchCoverage {
            changed_lines: changed.line_count(),
            ..PatchCoverage::default()
        };
        for (path, lines) in &changed.files {
            if lines.is_empty() {
                continue;
            }
            let Some(file) = coverage.files.get(path) else {
                patch.files_not_in_report.push(path.clone());
                continue;
            };
            let file_patch = file_patch(path, lines, file);
            if file_patch.measured() == 0 {
                patch.files_without_coverable_lines.push(path.clone());
            } else {
                patch.files.push(file_patch);
            }
        }
        patch
    }

    /// Changed coverable lines (diff-cover's `total_num_lines`).
    pub fn total_lines(&self) -> usize {
        self.files.iter().map(FilePatch::measured).sum()
    }

    /// Changed coverable lines that did not run (diff-cover's `total_num_violations`).
    pub fn total_violations(&self) -> usize {
        self.files.iter().map(|f| f.violation_lines.len()).sum()
    }

    /// Percent of changed coverable lines that ran; `None` when there are none.
    pub fn percent(&self) -> Option<f64> {
        percent(
            self.total_lines() - self.total_violations(),
            self.total_lines(),
        )
    }

    /// Percent of branches on changed lines that were taken; `None` when there are none.
    pub fn branch_percent(&self) -> Option<f64> {
        let (total, taken) = self.branches();
        percent(taken, total)
    }

    /// Branches on changed lines, and how many of them were taken.
    pub fn branches(&self) -> (usize, usize) {
        self.files.iter().fold((0, 0), |(total, covered), f| {
            (total + f.branches, covered + f.branches_covered)
        })
    }

    /// The gate: pass when the patch percentage reaches `threshold`, or when no changed
    /// line is coverable (there is nothing to hold to it).
    pub fn verdict(&self, threshold: f64) -> Verdict {
        match self.percent() {
            None => Verdict::NothingToMeasure,
            Some(p) if p >= threshold => Verdict::Pass,
            Some(_) => Verdict::Fail,
        }
    }
}

/// The patch gate's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Patch coverage reached the threshold.
    Pass,
    /// Patch coverage is below the threshold.
    Fail,
    /// No changed line is coverable: the gate passes.
    NothingToMeasure,
}

impl Verdict {
    /// Whether the gate passed.
    pub fn passed(self) -> bool {
        self != Verdict::Fail
    }
}

fn file_patch(path: &str, lines: &[u32], file: &FileCoverage) -> FilePatch {
    let rules = file.line_rules();
    let mut patch = FilePatch {
        path: path.to_owned(),
        changed_lines: lines.len(),
        covered_lines: Vec::new(),
        violation_lines: Vec::new(),
        branches: 0,
        branches_covered: 0,
        partial_branch_lines: Vec::new(),
    };
    for &line in lines {
        match rules.covered(line) {
            Some(true) => patch.covered_lines.push(line),
            Some(false) => patch.violation_lines.push(line),
            None => {}
        }
    }
    for branch in &file.branches {
        if lines.binary_search(&branch.line).is_ok() {
            patch.branches += 1;
            if branch.taken.is_some_and(|t| t > 0) {
                patch.branches_covered += 1;
            } else if patch.partial_branch_lines.last() != Some(&branch.line) {
                patch.partial_branch_lines.push(branch.line);
            }
        }
    }
    patch.partial_branch_lines.sort_unstable();
    patch.partial_branch_lines.dedup();
    patch
}

/// Overall coverage of every file of the report inside the repository.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overall {
    /// Files.
    pub files: usize,
    /// Lines with a `DA` entry.
    pub lines: usize,
    /// Of those, lines that ran.
    pub lines_hit: usize,
    /// Branches.
    pub branches: usize,
    /// Of those, branches taken.
    pub branches_hit: usize,
    /// Functions.
    pub functions: usize,
    /// Of those, functions called.
    pub functions_hit: usize,
}

impl Overall {
    /// The totals of `coverage`.
    pub fn of(coverage: &RepoCoverage) -> Self {
        coverage
            .files
            .values()
            .fold(Overall::default(), |total, file| Overall {
                files: total.files + 1,
                lines: total.lines + file.lines.len(),
                lines_hit: total.lines_hit + file.lines.hit(),
                branches: total.branches + file.branches.len(),
                branches_hit: total.branches_hit + file.branches_hit(),
                functions: total.functions + file.functions.len(),
                functions_hit: total.functions_hit + file.functions_hit(),
            })
    }

    /// Line coverage percent (`None` without lines).
    pub fn line_percent(&self) -> Option<f64> {
        percent(self.lines_hit, self.lines)
    }

    /// Branch coverage percent (`None` without branches).
    pub fn branch_percent(&self) -> Option<f64> {
        percent(self.branches_hit, self.branches)
    }

    /// Function coverage percent (`None` without functions).
    pub fn function_percent(&self) -> Option<f64> {
        percent(self.functions_hit, self.functions)
    }
}

/// `part / whole * 100` in that order, as diff-cover computes it: `part * 100 / whole`
/// can differ in the last bit, and a gate compares at exact boundaries.
pub fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64 * 100.0)
}

/// Sorted line numbers as inclusive ranges: `[1, 2, 3, 7]` → `[(1, 3), (7, 7)]`.
pub fn line_ranges(lines: &[u32]) -> Vec<(u32, u32)> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &line in lines {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == line => *end = line,
            _ => ranges.push((line, line)),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lcov::parse_lcov;

    fn repo(lcov: &str) -> RepoCoverage {
        let report = parse_lcov(lcov.as_bytes(), Utf8Path::new("t.lcov")).unwrap();
        RepoCoverage::new(report, &PathMap::new(Utf8Path::new("/r"), vec![]))
    }

    fn changed(files: &[(&str, &[u32])]) -> ChangedLines {
        ChangedLines {
            files: files
                .iter()
                .map(|(p, l)| (p.to_string(), l.to_vec()))
                .collect(),
        }
    }

    #[test]
    fn counts_changed_coverable_lines() {
        let coverage = repo(
            "SF:/r/a.ts\nDA:1,1\nDA:2,0\nDA:3,0\nDA:5,2\nBRDA:5,0,0,1\nBRDA:5,0,1,0\nend_of_record\n\
             SF:/r/b.ts\nDA:1,0\nend_of_record\nSF:/elsewhere/c.ts\nDA:1,1\nend_of_record\n",
        );
        assert_eq!(coverage.outside, ["/elsewhere/c.ts"]);
        let patch = PatchCoverage::compute(
            &changed(&[
                ("a.ts", &[1, 2, 4, 5]),
                ("b.ts", &[7]),
                ("new.ts", &[1]),
                ("gone.ts", &[]),
            ]),
            &coverage,
        );
        assert_eq!(patch.total_lines(), 3);
        assert_eq!(patch.total_violations(), 1);
        assert_eq!(patch.files[0].covered_lines, [1, 5]);
        assert_eq!(patch.files[0].violation_lines, [2]);
        assert_eq!(patch.branches(), (2, 1));
        assert_eq!(patch.files[0].partial_branch_lines, [5]);
        assert_eq!(patch.files_without_coverable_lines, ["b.ts"]);
        assert_eq!(patch.files_not_in_report, ["new.ts"]);
        assert_eq!(patch.changed_lines, 6);
        assert_eq!(patch.verdict(66.0), Verdict::Pass);
        assert_eq!(patch.verdict(67.0), Verdict::Fail);
        let overall = Overall::of(&coverage);
        assert_eq!((overall.lines, overall.lines_hit), (5, 2));
        assert_eq!((overall.branches, overall.branches_hit), (2, 1));
    }

    #[test]
    fn nothing_coverable_passes() {
        let patch = PatchCoverage::compute(
            &changed(&[("README.md", &[1, 2])]),
            &repo("SF:/r/a.ts\nDA:1,0\nend_of_record\n"),
        );
        assert_eq!(patch.percent(), None);
        assert_eq!(patch.verdict(100.0), Verdict::NothingToMeasure);
        assert!(patch.verdict(100.0).passed());
    }

    #[test]
    fn ranges_of_lines() {
        assert_eq!(line_ranges(&[1, 2, 3, 7, 9, 10]), [(1, 3), (7, 7), (9, 10)]);
        assert!(line_ranges(&[]).is_empty());
    }
}
