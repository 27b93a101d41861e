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
    let scenarios = figures["scenarios"].as_array().unwrap();
    let names: Vec<&str> = scenarios
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["warm deno caches", "cold deno caches"]);
    for scenario in scenarios {
        let xtask = scenario["xtask_ci_median_seconds"].as_f64().unwrap();
        let deno_task = scenario["deno_task_ci_median_seconds"].as_f64().unwrap();
        assert!(xtask > 0.0 && deno_task > 0.0, "{scenario}");
        assert!((scenario["ratio"].as_f64().unwrap() - xtask / deno_task).abs() < 1e-9);
    }
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
    let scenarios = figures["scenarios"].as_array().unwrap();
    let names: Vec<&str> = scenarios
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["warm deno caches", "cold deno caches"]);
    for scenario in scenarios {
        let parallel = scenario["parallel_median_seconds"].as_f64().unwrap();
        let sequential = scenario["sequential_median_seconds"].as_f64().unwrap();
        assert!(parallel > 0.0 && sequential > 0.0, "{scenario}");
        assert!((scenario["ratio"].as_f64().unwrap() - parallel / sequential).abs() < 1e-9);
    }
}
