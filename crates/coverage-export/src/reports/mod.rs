//! The reports of a coverage run, for people and for machines: one renderer per format
//! over one [`Report`].

mod badge;
mod cobertura;
mod html;
mod json;
mod markdown;
mod terminal;

pub use html::Sources;
pub use json::json_report;
pub use markdown::{HtmlLink, markdown_summary};
pub use terminal::terminal_table;

pub(crate) use badge::{badge_svg, shields_endpoint};
pub(crate) use cobertura::write_cobertura;
pub(crate) use html::write_html;
use markdown::ranges_text;

use crate::filter::FileFilter;
use crate::patch::{Overall, PatchCoverage, Verdict};

/// Everything a report says: the computed coverage and what it was computed from.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// The lcov file read.
    pub lcov: &'a str,
    /// The range, in diff-cover's words: `origin/main...HEAD, staged and unstaged changes`.
    pub diff_name: String,
    /// The patch gate's threshold, in percent.
    pub threshold: f64,
    /// Patch coverage.
    pub patch: &'a PatchCoverage,
    /// Overall coverage.
    pub overall: Overall,
    /// `SF:` paths of the report outside the repository.
    pub outside: &'a [String],
    /// The `--include` / `--exclude` patterns the figures were computed with.
    pub filter: &'a FileFilter,
    /// Files of the report that the filter left out.
    pub filtered_out: &'a [String],
}

impl Report<'_> {
    /// The gate's verdict.
    pub fn verdict(&self) -> Verdict {
        self.patch.verdict(self.threshold)
    }
}

/// The verdict in a line: `✅ Patch coverage 90.0% of 10 changed lines (gate 85%)`.
fn headline(report: &Report) -> String {
    let patch = report.patch;
    let threshold = format!("{}%", report.threshold);
    match report.verdict() {
        Verdict::Pass => format!(
            "✅ Patch coverage {} of {} changed lines (gate {threshold})",
            show_percent(patch.percent()),
            patch.total_lines()
        ),
        Verdict::Fail => format!(
            "❌ Patch coverage {} of {} changed lines, below the gate of {threshold}",
            show_percent(patch.percent()),
            patch.total_lines()
        ),
        Verdict::NothingToMeasure => {
            "✅ Patch coverage: no changed line is coverable, so the gate passes".to_owned()
        }
    }
}

/// The filter in words, such as `--include src/** --exclude *_test.ts`; empty without one.
fn filter_text(filter: &FileFilter) -> String {
    let flags = filter
        .include
        .iter()
        .map(|glob| format!("--include {glob}"))
        .chain(
            filter
                .exclude
                .iter()
                .map(|glob| format!("--exclude {glob}")),
        );
    flags.collect::<Vec<_>>().join(" ")
}

/// A percentage with one decimal, `"–"` for none.
fn show_percent(percent: Option<f64>) -> String {
    match percent {
        // Truncated, not rounded: 84.96% must not read as 85.0% next to an 85% gate.
        Some(p) => format!("{:.1}%", (p * 10.0).floor() / 10.0),
        None => "–".to_owned(),
    }
}

/// A repository path's directory (`""` at the top) and file name.
fn split_path(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}
