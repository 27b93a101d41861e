//! The JSON report: diff-cover's `--json-report` fields, then branch and overall figures.
//!
//! It serializes straight from the computed figures: a report of a million changed lines
//! is written without building a JSON tree first.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::Report;
use crate::filter::Glob;
use crate::patch::{FilePatch, Verdict, percent};

/// The JSON report. `src_stats`, `total_num_lines`, `total_num_violations`,
/// `total_percent_covered` (an integer, truncated), `num_changed_lines`, `report_name`
/// and `diff_name` mean what they mean in diff-cover's report; `patch`, `overall`,
/// `files_outside_repository`, `filter` and `files_filtered_out` add to them.
pub fn json_report<'a>(report: &'a Report<'a>) -> impl Serialize + 'a {
    let patch = report.patch;
    let overall = report.overall;
    let (branches, branches_hit) = patch.branches();
    JsonReport {
        report_name: report.lcov,
        diff_name: &report.diff_name,
        src_stats: SrcStats(&patch.files),
        total_num_lines: patch.total_lines(),
        total_num_violations: patch.total_violations(),
        total_percent_covered: patch.percent().map_or(100, |p| p.floor() as u64),
        num_changed_lines: patch.changed_lines,
        patch: PatchJson {
            percent_covered: patch.percent(),
            threshold: report.threshold,
            passed: report.verdict().passed(),
            verdict: match report.verdict() {
                Verdict::Pass => "pass",
                Verdict::Fail => "fail",
                Verdict::NothingToMeasure => "no coverable changed lines",
            },
            branches: Figure::new(branches_hit, branches),
            files_without_coverable_lines: &patch.files_without_coverable_lines,
            files_not_in_report: &patch.files_not_in_report,
        },
        overall: OverallJson {
            files: overall.files,
            lines: Figure::new(overall.lines_hit, overall.lines),
            branches: Figure::new(overall.branches_hit, overall.branches),
            functions: Figure::new(overall.functions_hit, overall.functions),
        },
        files_outside_repository: report.outside.len(),
        filter: FilterJson {
            include: report.filter.include.iter().map(Glob::as_str).collect(),
            exclude: report.filter.exclude.iter().map(Glob::as_str).collect(),
        },
        files_filtered_out: report.filtered_out.len(),
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    report_name: &'a str,
    diff_name: &'a str,
    src_stats: SrcStats<'a>,
    total_num_lines: usize,
    total_num_violations: usize,
    total_percent_covered: u64,
    num_changed_lines: usize,
    patch: PatchJson<'a>,
    overall: OverallJson,
    files_outside_repository: usize,
    filter: FilterJson<'a>,
    files_filtered_out: usize,
}

#[derive(Serialize)]
struct FilterJson<'a> {
    include: Vec<&'a str>,
    exclude: Vec<&'a str>,
}

#[derive(Serialize)]
struct PatchJson<'a> {
    percent_covered: Option<f64>,
    threshold: f64,
    passed: bool,
    verdict: &'static str,
    branches: Figure,
    files_without_coverable_lines: &'a [String],
    files_not_in_report: &'a [String],
}

#[derive(Serialize)]
struct OverallJson {
    files: usize,
    lines: Figure,
    branches: Figure,
    functions: Figure,
}

#[derive(Serialize)]
struct Figure {
    found: usize,
    hit: usize,
    percent: Option<f64>,
}

impl Figure {
    fn new(hit: usize, found: usize) -> Self {
        Figure {
            found,
            hit,
            percent: percent(hit, found),
        }
    }
}

struct SrcStats<'a>(&'a [FilePatch]);

impl Serialize for SrcStats<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for file in self.0 {
            map.serialize_entry(
                &file.path,
                &FileStats {
                    percent_covered: file.percent(),
                    violation_lines: &file.violation_lines,
                    covered_lines: &file.covered_lines,
                    violations: Violations(&file.violation_lines),
                    num_branches: file.branches,
                    covered_branches: file.branches_covered,
                    partial_branch_lines: &file.partial_branch_lines,
                },
            )?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct FileStats<'a> {
    percent_covered: Option<f64>,
    violation_lines: &'a [u32],
    covered_lines: &'a [u32],
    violations: Violations<'a>,
    num_branches: usize,
    covered_branches: usize,
    partial_branch_lines: &'a [u32],
}

/// diff-cover's `violations`: `[line, message]` pairs, the message `null` for coverage.
struct Violations<'a>(&'a [u32]);

impl Serialize for Violations<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for line in self.0 {
            seq.serialize_element(&(line, None::<()>))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FileFilter;
    use crate::patch::{Overall, PatchCoverage};
    use serde_json::json;

    #[test]
    fn diff_cover_fields_then_ours() {
        let patch = PatchCoverage {
            files: vec![FilePatch {
                path: "src/a.ts".into(),
                changed_lines: 4,
                covered_lines: vec![1, 2],
                violation_lines: vec![4],
                branches: 2,
                branches_covered: 1,
                partial_branch_lines: vec![2],
            }],
            files_without_coverable_lines: vec!["README.md".into()],
            files_not_in_report: vec![],
            changed_lines: 6,
        };
        let report = Report {
            lcov: "cov.lcov",
            diff_name: "main...HEAD".into(),
            threshold: 85.0,
            patch: &patch,
            overall: Overall {
                files: 1,
                lines: 10,
                lines_hit: 8,
                ..Overall::default()
            },
            outside: &[],
            filter: &FileFilter {
                include: vec!["src/**".parse().unwrap()],
                exclude: vec!["*_test.ts".parse().unwrap()],
            },
            filtered_out: &["src/a_test.ts".to_owned()],
        };
        let value = serde_json::to_value(json_report(&report)).unwrap();
        assert_eq!(value["total_num_lines"], 3);
        assert_eq!(value["total_num_violations"], 1);
        assert_eq!(value["total_percent_covered"], 66);
        assert_eq!(value["num_changed_lines"], 6);
        assert_eq!(
            value["src_stats"]["src/a.ts"],
            json!({
                "percent_covered": 66.66666666666667,
                "violation_lines": [4],
                "covered_lines": [1, 2],
                "violations": [[4, null]],
                "num_branches": 2,
                "covered_branches": 1,
                "partial_branch_lines": [2],
            })
        );
        assert_eq!(value["patch"]["passed"], false);
        assert_eq!(
            value["overall"]["lines"],
            json!({"found": 10, "hit": 8, "percent": 80.0})
        );
        assert_eq!(
            value["filter"],
            json!({"include": ["src/**"], "exclude": ["*_test.ts"]})
        );
        assert_eq!(value["files_filtered_out"], 1);
    }
}
