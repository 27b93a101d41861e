//! The coverage result as a person reads it in a terminal.

use std::fmt::Write;

use camino::Utf8Path;

use super::{Report, filter_text, ranges_text, show_percent};
use crate::patch::Verdict;

/// Files listed before the rest are summed up.
const MAX_FILES: usize = 40;

/// A table of the changed files, their uncovered ranges, overall figures and the verdict;
/// `out` is the reports directory it names.
pub fn terminal_table(report: &Report, out: &Utf8Path) -> String {
    let patch = report.patch;
    let mut text = String::new();
    let _ = writeln!(text, "patch coverage of {}", report.diff_name);
    if !patch.files.is_empty() {
        let width = patch
            .files
            .iter()
            .take(MAX_FILES)
            .map(|f| f.path.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(
            text,
            "\n{:<width$}  {:>7}  {:>11}  lines not run",
            "file", "patch", "covered"
        );
        for file in patch.files.iter().take(MAX_FILES) {
            let covered = format!("{}/{}", file.covered_lines.len(), file.measured());
            let _ = writeln!(
                text,
                "{:<width$}  {:>7}  {:>11}  {}",
                file.path,
                show_percent(file.percent()),
                covered,
                ranges_text(&file.violation_lines, 8),
            );
        }
        if patch.files.len() > MAX_FILES {
            let _ = writeln!(text, "… and {} more files", patch.files.len() - MAX_FILES);
        }
    }
    text.push('\n');
    let (branches, taken) = patch.branches();
    if branches > 0 {
        let _ = writeln!(
            text,
            "branches on changed lines: {taken}/{branches} taken ({})",
            show_percent(patch.branch_percent())
        );
    }
    if !patch.files_not_in_report.is_empty() {
        let _ = writeln!(
            text,
            "changed files not in the coverage report: {}",
            patch.files_not_in_report.len()
        );
    }
    if !report.outside.is_empty() {
        let _ = writeln!(
            text,
            "files of the report outside the repository, left out: {} (use --path-prefix FROM=TO if they are this repository's files under another path)",
            report.outside.len()
        );
    }
    if !report.filter.is_empty() {
        let _ = writeln!(
            text,
            "files counted: {}; files of the report left out by it: {}",
            filter_text(report.filter),
            report.filtered_out.len()
        );
    }
    let overall = report.overall;
    let _ = writeln!(
        text,
        "overall (a trend, not a gate): lines {} ({}/{}), branches {}, functions {}",
        show_percent(overall.line_percent()),
        overall.lines_hit,
        overall.lines,
        show_percent(overall.branch_percent()),
        show_percent(overall.function_percent()),
    );
    let _ = writeln!(text, "reports: {out}");
    let verdict = match report.verdict() {
        Verdict::Pass => format!(
            "PASS: patch coverage {} of {} changed lines, gate {}%",
            show_percent(patch.percent()),
            patch.total_lines(),
            report.threshold
        ),
        Verdict::Fail => format!(
            "FAIL: patch coverage {} of {} changed lines is below the gate of {}%: {} changed lines are not run by any test",
            show_percent(patch.percent()),
            patch.total_lines(),
            report.threshold,
            patch.total_violations()
        ),
        Verdict::NothingToMeasure => {
            "PASS: no changed line is measured by the coverage report, so there is nothing to gate"
                .to_owned()
        }
    };
    let _ = writeln!(text, "{verdict}");
    text
}
