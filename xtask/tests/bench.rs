//! `cargo xtask bench ci` runs both sides in both scenarios and reports figures.

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
