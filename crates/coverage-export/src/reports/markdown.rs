//! The Markdown summary, for `$GITHUB_STEP_SUMMARY` and pull request comments.

use std::fmt::Write;

use super::{Report, filter_text, headline, show_percent};
use crate::patch::line_ranges;

/// Files listed in the table before the rest are summed up in one line.
const MAX_FILES: usize = 50;

/// Where the summary points to for the HTML report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtmlLink<'a> {
    /// In the same directory as the summary: `html/index.html`.
    Beside,
    /// In the reports uploaded with the workflow run at this URL.
    Run(&'a str),
    /// Nowhere the reader can follow.
    None,
}

/// The summary: the verdict, a table of changed files, branch and overall figures, and
/// where the HTML report is.
pub fn markdown_summary(report: &Report, html: HtmlLink) -> String {
    let patch = report.patch;
    let mut md = String::new();
    let _ = writeln!(md, "### {}\n", headline(report));
    let _ = writeln!(md, "Changes: `{}`.\n", report.diff_name);
    if !patch.files.is_empty() {
        md.push_str("| File | Patch | Covered | Lines not run |\n| --- | ---: | ---: | --- |\n");
        for file in patch.files.iter().take(MAX_FILES) {
            let _ = writeln!(
                md,
                "| `{}` | {} | {}/{} | {} |",
                file.path.replace('|', "\\|"),
                show_percent(file.percent()),
                file.covered_lines.len(),
                file.measured(),
                ranges_text(&file.violation_lines, 12),
            );
        }
        if patch.files.len() > MAX_FILES {
            let _ = writeln!(
                md,
                "| … {} more files | | | |",
                patch.files.len() - MAX_FILES
            );
        }
        md.push('\n');
    }
    let (branches, taken) = patch.branches();
    if branches > 0 {
        let _ = writeln!(
            md,
            "Branches on changed lines: {taken}/{branches} taken ({}).\n",
            show_percent(patch.branch_percent())
        );
    }
    if !patch.files_not_in_report.is_empty() {
        let _ = writeln!(
            md,
            "{} changed files are not in the coverage report (not loaded by any test, or not code).\n",
            patch.files_not_in_report.len()
        );
    }
    if !report.outside.is_empty() {
        let _ = writeln!(
            md,
            "Files of the coverage report outside the repository, left out: {}.\n",
            report.outside.len()
        );
    }
    if !report.filter.is_empty() {
        let _ = writeln!(
            md,
            "Files counted: `{}`; files of the coverage report left out by it: {}.\n",
            filter_text(report.filter),
            report.filtered_out.len()
        );
    }
    let overall = report.overall;
    let _ = writeln!(
        md,
        "Overall (a trend, not a gate): lines {} ({}/{}), branches {}, functions {}, in {} files.",
        show_percent(overall.line_percent()),
        overall.lines_hit,
        overall.lines,
        show_percent(overall.branch_percent()),
        show_percent(overall.function_percent()),
        overall.files,
    );
    match html {
        HtmlLink::Beside => {
            md.push_str("\nLine by line: [the HTML report](html/index.html).\n");
        }
        HtmlLink::Run(url) => {
            let _ = writeln!(
                md,
                "\nLine by line: `html/index.html` in the coverage reports uploaded with [this run]({url})."
            );
        }
        HtmlLink::None => {}
    }
    md
}

/// Sorted line numbers as text, `12-14, 20, … 3 more`, with at most `max` ranges.
pub fn ranges_text(lines: &[u32], max: usize) -> String {
    let ranges = line_ranges(lines);
    let mut text: Vec<String> = ranges
        .iter()
        .take(max)
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    if ranges.len() > max {
        text.push(format!("… {} more", ranges.len() - max));
    }
    text.join(", ")
}
