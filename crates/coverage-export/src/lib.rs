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
//! - [`analyze`]: all of it, reading the report once git has computed the diff.

#![warn(missing_docs)]

mod coverage;
mod diff;
mod filter;
mod git;
mod lcov;
mod outputs;
mod patch;
mod paths;
pub mod reports;

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

use camino::Utf8Path;

/// Threads for work that splits by file (the parts of a large diff, the HTML pages): one
/// per core, at most four.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
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

/// Computes the range's changed lines, then reads the report, then the figures. Files the
/// filter leaves out are in neither (the report's are listed in
/// [`RepoCoverage::filtered_out`]).
///
/// `with_coverage` runs on the report and the changed lines as soon as both are read. One after the other, not
/// side by side: git's rename detection and the report are the two large memory peaks
/// of a run (about 77 and 65 MB for 20,000 files), and reading the report while git
/// diffs would add them up, to save about a third of the time.
pub fn analyze<T>(
    inputs: &Inputs,
    with_coverage: impl FnOnce(&RepoCoverage, &ChangedLines) -> std::io::Result<T>,
) -> Result<(Analysis, T), AnalysisError> {
    let root = inputs.repo.root();
    let map = PathMap::new(root, inputs.remaps.clone());
    let mut changed = inputs.repo.changed_lines(inputs.range, inputs.scope)?;
    if !inputs.filter.is_empty() {
        changed
            .files
            .retain(|path, _| inputs.filter.admits(path, root));
    }
    let mut coverage = RepoCoverage::new(read_lcov(inputs.lcov)?, &map);
    coverage.filter(&inputs.filter, root);
    let extra = with_coverage(&coverage, &changed)?;
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
