//! Patch coverage and overall coverage, from an lcov report and a git range.
//!
//! - A streaming lcov reader; records of one file merge.
//! - [`Repository::changed_lines`]: the changed lines of `base...HEAD` plus staged and
//!   unstaged changes, with diff-cover's semantics.
//! - lcov `SF:` paths (absolute, from the machine that ran the tests) to repository
//!   paths, with [`PrefixRemap`]s (`FROM=TO`) for reports made elsewhere.
//! - [`FileFilter`]: `--include` / `--exclude` globs with diff-cover's semantics, applied
//!   to the changed lines and the report's files alike.
//! - [`PatchCoverage`] / [`Overall`]: the figures; [`reports`] and [`write_outputs`]:
//!   JSON (diff-cover's fields), Markdown, terminal, HTML, lcov, Cobertura, badges.
//! - [`analyze`]: all of it, a small report read while git diffs.

#![warn(missing_docs)]

mod coverage;
mod diff;
mod filter;
mod git;
mod lcov;
mod lines;
mod outputs;
mod parts;
mod patch;
mod paths;
pub mod reports;
mod text;

pub use coverage::{Branch, FileCoverage, Function, Lines};
pub use diff::{ChangedLines, DiffError, FileChange};
pub use filter::{FileFilter, Glob};
pub use git::{GitError, Range, Repository, Scope};
pub use lcov::LcovError;
pub use outputs::{OUTPUT_FILES, StagedFiles, stage_coverage_files, write_outputs};
pub use patch::{FilePatch, Overall, PatchCoverage, RepoCoverage, Verdict, line_ranges};
pub use paths::PrefixRemap;

use lcov::read_lcov;
use paths::PathMap;

use std::sync::atomic::{AtomicUsize, Ordering};

use camino::Utf8Path;

/// Threads for work that splits by file (the parts of a large diff, the HTML pages): one
/// per core, at most four.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// `work` on each of `items`, on up to `threads` threads that take the next item as they
/// finish one, so that uneven items still end together; the results in `items`' order.
fn on_threads<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let lane = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, work(item)));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let lanes: Vec<_> = (1..threads.min(items.len()))
            .map(|_| scope.spawn(lane))
            .collect();
        let mut results = lane();
        for handle in lanes {
            results.extend(handle.join().expect("a worker thread panicked"));
        }
        results
    });
    results.sort_unstable_by_key(|&(index, _)| index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// What [`analyze`] reads.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The lcov report.
    pub lcov: &'a Utf8Path,
    /// The repository the report's files belong to.
    pub repo: &'a Repository,
    /// The checked range (see [`Repository::range`]).
    pub range: &'a Range,
    /// Which uncommitted changes count.
    pub scope: Scope,
    /// `SF:` prefix remaps, first match wins.
    pub remaps: Vec<PrefixRemap>,
    /// Which files count, for the changed lines and the report alike.
    pub filter: FileFilter,
}

/// What [`analyze`] found.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The report's files inside the repository.
    pub coverage: RepoCoverage,
    /// The changed lines.
    pub changed: ChangedLines,
    /// Patch coverage.
    pub patch: PatchCoverage,
    /// Overall coverage.
    pub overall: Overall,
}

/// Inputs that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The lcov report.
    #[error(transparent)]
    Lcov(#[from] LcovError),
    /// The repository or the range.
    #[error(transparent)]
    Git(#[from] GitError),
    /// `with_coverage` failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reports up to this size are read while git diffs the range. The two are the large
/// memory peaks of a run (git's rename detection and the parsed report, about 77 and
/// 65 MB for 20,000 files), so larger reports wait for git to end and the peaks do not
/// add up; below it they are a few megabytes, and a small run's time is mostly git's.
const READ_BESIDE_GIT: u64 = 16 << 20;

/// Computes the range's changed lines and reads the report, then the figures. Files the
/// filter leaves out are in neither (the report's are listed in
/// [`RepoCoverage::filtered_out`]).
///
/// `with_coverage` runs on the report as soon as it is read, while git may still be
/// diffing (for a report of up to 16 MiB, read side by side with git); its result is
/// dropped when git fails. A git error is reported before the report's.
pub fn analyze<T: Send>(
    inputs: &Inputs,
    with_coverage: impl FnOnce(&RepoCoverage) -> std::io::Result<T> + Send,
) -> Result<(Analysis, T), AnalysisError> {
    let small = std::fs::metadata(inputs.lcov).is_ok_and(|m| m.len() <= READ_BESIDE_GIT);
    analyze_on(inputs, with_coverage, small)
}

fn analyze_on<T: Send>(
    inputs: &Inputs,
    with_coverage: impl FnOnce(&RepoCoverage) -> std::io::Result<T> + Send,
    beside_git: bool,
) -> Result<(Analysis, T), AnalysisError> {
    let root = inputs.repo.root();
    let read_report = || -> Result<(RepoCoverage, T), AnalysisError> {
        let map = PathMap::new(root, inputs.remaps.clone());
        let mut coverage = RepoCoverage::new(read_lcov(inputs.lcov)?, &map);
        coverage.filter(&inputs.filter, root);
        let extra = with_coverage(&coverage)?;
        Ok((coverage, extra))
    };
    let diff = || -> Result<ChangedLines, GitError> {
        let mut changed = inputs.repo.changed_lines(inputs.range, inputs.scope)?;
        if !inputs.filter.is_empty() {
            changed
                .files
                .retain(|path, _| inputs.filter.admits(path, root));
        }
        Ok(changed)
    };
    let (changed, report) = if beside_git {
        std::thread::scope(|threads| {
            let reading = threads.spawn(read_report);
            let changed = diff();
            (changed, reading.join().expect("the report reader panicked"))
        })
    } else {
        let changed = diff()?;
        (Ok(changed), read_report())
    };
    let changed = changed?;
    let (coverage, extra) = report?;
    let patch = PatchCoverage::compute(&changed, &coverage);
    let overall = Overall::of(&coverage);
    let analysis = Analysis {
        coverage,
        changed,
        patch,
        overall,
    };
    Ok((analysis, extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item once, the results in the items' order, whatever the threads.
    #[test]
    fn work_on_threads_comes_back_in_order() {
        let items: Vec<u64> = (0..50).collect();
        for threads in [1, 2, 3, 8, 100] {
            let results = on_threads(&items, threads, |&n| {
                // Uneven items: the early ones take longest.
                std::thread::sleep(std::time::Duration::from_micros(50 * (50 - n)));
                n * n
            });
            assert_eq!(results, items.iter().map(|n| n * n).collect::<Vec<_>>());
        }
        assert!(on_threads(&[] as &[u8], 4, |&b| b).is_empty());
    }

    /// Read beside git or after it, a report gives the same analysis, and the files
    /// staged from it are the same.
    #[test]
    fn a_report_read_beside_git_gives_what_one_read_after_it_gives() {
        let (_dir, repo) = git::tests::generated(300);
        let range = repo.range("base").unwrap();
        let lcov = repo.root().parent().unwrap().join("coverage.lcov");
        let inputs = Inputs {
            lcov: &lcov,
            repo: &repo,
            range: &range,
            scope: Scope::default(),
            remaps: vec![],
            filter: FileFilter::default(),
        };
        let files = |coverage: &RepoCoverage| Ok(coverage.files.len());
        let (beside, staged_beside) = analyze_on(&inputs, files, true).unwrap();
        let (after, staged_after) = analyze_on(&inputs, files, false).unwrap();
        assert!(beside.changed.line_count() > 1_000 && staged_beside > 250);
        assert_eq!(beside.changed, after.changed);
        assert_eq!(beside.patch, after.patch);
        assert_eq!(beside.overall, after.overall);
        assert_eq!(staged_beside, staged_after);
    }
}
