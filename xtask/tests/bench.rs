//! `cargo xtask bench` runs both sides of each comparison and reports figures.

mod support;

use serde_json::Value;
use support::{Project, xtask};

#[test]
fn bench_ci_compares_both_sides_in_both_scenarios() {
    let project = Project::copy_example();
    let run = xtask(&["bench", "ci", "--runs", "1", "--json"])
        .project(&project)
        .run();
    assert_eq!(run.code, 0, "{}", run.all());
    let figures: Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_scenarios(
        &figures,
        "xtask_ci_median_seconds",
        "deno_task_ci_median_seconds",
    );
    assert!(
        figures["xtask_binary_help_median_seconds"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn bench_refuses_zero_runs() {
    let run = xtask(&["bench", "ci", "--runs", "0"]).run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("--runs"), "{}", run.stderr);
}

#[test]
fn bench_release_compares_parallel_and_sequential_builds() {
    let project = Project::copy_example();
    let denort = support::denort_dir();
    let run = xtask(&[
        "bench",
        "release",
        "--runs",
        "1",
        "--json",
        "--denort-dir",
        denort.as_str(),
    ])
    .project(&project)
    .run();
    assert_eq!(run.code, 0, "{}", run.all());
    let figures: Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(figures["targets"], 5);
    assert_scenarios(
        &figures,
        "parallel_median_seconds",
        "sequential_median_seconds",
    );
}

#[test]
fn bench_coverage_compares_xtask_and_diff_cover_on_generated_inputs() {
    // The generator is the repository's copy; diff-cover is installed by the task.
    let scratch = tempfile::tempdir().unwrap();
    let scratch_dir = scratch.path().to_str().unwrap();
    let run = xtask(&[
        "bench",
        "coverage",
        "--files",
        "50",
        "--runs",
        "1",
        "--scratch",
        scratch_dir,
    ])
    .run();
    assert_eq!(run.code, 0, "the numbers are identical\n{}", run.all());
    assert!(
        run.stderr.contains(&format!(" into {scratch_dir}/")),
        "inputs in --scratch\n{}",
        run.all()
    );
    assert_eq!(
        std::fs::read_dir(scratch.path()).unwrap().count(),
        0,
        "the bench's files removed from --scratch"
    );
    let mut lines = run.stdout.lines();
    let title = lines.next().unwrap_or_default();
    assert!(
        title.contains(&format!(
            "cargo xtask coverage --lcov vs diff-cover {}",
            pytools::DIFF_COVER.version
        )) && title.contains("peak RSS"),
        "{}",
        run.all()
    );
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "files",
            "lcov",
            "changed",
            "lines",
            "xtask",
            "diff-cover",
            "faster",
            "memory",
            "identical"
        ],
        "{}",
        run.all()
    );
    let row: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(row.len(), 10, "{}", run.all());
    assert_eq!(row[0], "50");
    assert!(
        row[2].parse::<u64>().unwrap() > 0,
        "changed lines\n{}",
        run.all()
    );
    // Each tool's wall time (may round to 0.00 s) and peak RSS.
    for (wall, rss) in [(row[3], row[4]), (row[5], row[6])] {
        let seconds = wall.strip_suffix('s').map(str::parse::<f64>);
        assert!(matches!(seconds, Some(Ok(_))), "{}", run.all());
        let megabytes: f64 = rss.strip_suffix("MB").unwrap().parse().unwrap();
        assert!(megabytes > 1.0, "peak RSS\n{}", run.all());
    }
    assert_eq!(row[9], "yes", "the numbers are identical\n{}", run.all());
    assert!(
        run.stderr.contains("generating 50 files with "),
        "{}",
        run.all()
    );
    assert!(
        run.stderr
            .contains("crates/coverage-export/tests/data/make_patch_repo.py"),
        "{}",
        run.all()
    );
}

#[test]
fn bench_coverage_refuses_a_scratch_directory_that_is_not_there() {
    let missing = tempfile::tempdir().unwrap().path().join("missing");
    let missing = missing.to_str().unwrap();
    let run = xtask(&["bench", "coverage", "--files", "50", "--scratch", missing]).run();
    assert_eq!(run.code, 2, "bad input\n{}", run.all());
    assert!(
        run.stderr.contains(&format!(
            "cannot create a scratch directory in {missing} (--scratch)"
        )),
        "{}",
        run.all()
    );
}

/// The warm and cold scenarios, each with two positive medians and their ratio.
fn assert_scenarios(figures: &Value, ours: &str, theirs: &str) {
    let scenarios = figures["scenarios"].as_array().unwrap();
    let names: Vec<&str> = scenarios
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["warm deno caches", "cold deno caches"]);
    for scenario in scenarios {
        let (a, b) = (
            scenario[ours].as_f64().unwrap(),
            scenario[theirs].as_f64().unwrap(),
        );
        assert!(a > 0.0 && b > 0.0, "{scenario}");
        assert!((scenario["ratio"].as_f64().unwrap() - a / b).abs() < 1e-9);
    }
}
