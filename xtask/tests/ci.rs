//! `cargo xtask ci` with the real deno on copies of examples/kato: it passes on the
//! example and fails, naming the gate, on each kind of breakage.

mod support;

use serde_json::Value;
use support::{Project, xtask};

fn gate_results(summary: &Value) -> Vec<(String, String)> {
    summary["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{needle:?} not in:\n{haystack}");
}

fn expect(results: &[(&str, &str)]) -> Vec<(String, String)> {
    results
        .iter()
        .map(|(n, r)| (n.to_string(), r.to_string()))
        .collect()
}

#[test]
fn passes_on_the_example_project() {
    let run = xtask(&["ci"]).run();
    assert_eq!(run.code, 0, "{}", run.all());
    for gate in ["fmt", "lint", "check", "test"] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(gate) && l.contains("passed")),
            "no passed row for {gate}:\n{}",
            run.stdout
        );
    }
    assert_contains(&run.stdout, "ci passed: 4 gates");
    // Gate output comes whole, in runbook order, under headers.
    let headers: Vec<usize> = ["── fmt:", "── lint:", "── check:", "── test:"]
        .iter()
        .map(|h| run.stdout.find(h).unwrap_or_else(|| panic!("{h} missing")))
        .collect();
    assert!(headers.windows(2).all(|w| w[0] < w[1]), "{}", run.stdout);
    assert_contains(&run.stdout, " passed | 0 failed");
}

#[test]
fn json_summary_on_stdout_only() {
    let project = Project::copy_example();
    let run = xtask(&["ci", "--json"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    let summary: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    assert_eq!(summary["passed"], true);
    assert_eq!(
        gate_results(&summary),
        expect(&[
            ("fmt", "passed"),
            ("lint", "passed"),
            ("check", "passed"),
            ("test", "passed")
        ])
    );
    assert!(summary["gates"][3]["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(summary["deno"]["version"], support::pinned_deno_version());
}

#[test]
fn formatting_error_fails_the_fmt_gate() {
    let project = Project::copy_example();
    project.write("src/badly_formatted.ts", "export const   spaced = 1;\n");
    let run = xtask(&["ci", "--json"]).project(&project).run();
    assert_eq!(run.code, 1, "{}", run.all());
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        gate_results(&summary),
        expect(&[
            ("fmt", "failed"),
            ("lint", "passed"),
            ("check", "passed"),
            ("test", "passed")
        ])
    );
    let diagnostic = &summary["gates"][0]["diagnostics"][0];
    assert!(
        diagnostic["file"]
            .as_str()
            .unwrap()
            .ends_with("src/badly_formatted.ts")
    );
    assert_eq!(diagnostic["line"], 1);
}

#[test]
fn lint_error_fails_the_lint_gate_and_is_named() {
    let project = Project::copy_example();
    project.write(
        "src/lint_error.ts",
        "export function two(): number {\n  const unused = 1;\n  return 2;\n}\n",
    );
    let run = xtask(&["ci"]).project(&project).run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stdout, "1 of 4 gates failed: lint (`deno lint`)");
    assert_contains(&run.stdout, "no-unused-vars");
}

#[test]
fn type_error_fails_the_check_gate_with_annotations_in_github_actions() {
    let project = Project::copy_example();
    project.write("src/type_error.ts", "export const n: number = \"s\";\n");
    let summary_file = project.path().join("step-summary.md");
    let run = xtask(&["ci"])
        .project(&project)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", project.path().as_str())
        .env("GITHUB_STEP_SUMMARY", summary_file.as_str())
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(
        &run.stdout,
        "::error file=src/type_error.ts,line=1,col=14,title=deno check::TS2322",
    );
    assert!(
        run.stdout
            .contains("::group::check: deno check --frozen (failed"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout.matches("::endgroup::").count(),
        4,
        "{}",
        run.stdout
    );
    let markdown = std::fs::read_to_string(summary_file).unwrap();
    assert!(markdown.contains("| check | ❌ failed |"), "{markdown}");
    assert!(markdown.contains("| test | ✅ passed |"), "{markdown}");
}

#[test]
fn failing_test_fails_the_test_gate() {
    let project = Project::copy_example();
    project.write(
        "src/failing_test.ts",
        "Deno.test(\"fails on purpose\", () => {\n  throw new Error(\"expected failure\");\n});\n",
    );
    let run = xtask(&["ci", "--json"]).project(&project).run();
    assert_eq!(run.code, 1, "{}", run.all());
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        gate_results(&summary),
        expect(&[
            ("fmt", "passed"),
            ("lint", "passed"),
            ("check", "passed"),
            ("test", "failed")
        ])
    );
    let message = summary["gates"][3]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert_eq!(
        message,
        "test \"fails on purpose\" failed: Error: expected failure"
    );
}

#[test]
fn modified_lockfile_fails_frozen_gates_and_says_so() {
    let project = Project::copy_example();
    let mut lock: Value = serde_json::from_str(&project.read("deno.lock")).unwrap();
    lock["specifiers"] = serde_json::json!({});
    project.write("deno.lock", &serde_json::to_string_pretty(&lock).unwrap());
    let run = xtask(&["ci"])
        .project(&project)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", project.path().as_str())
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    // Said once, naming both gates that use --frozen.
    let hint = format!(
        "check, test: the lockfile {} is out of date with the project's dependencies",
        project.path().join("deno.lock")
    );
    assert_eq!(run.stdout.matches(&hint).count(), 1, "{}", run.stdout);
    assert_contains(&run.stdout, "Run `deno install` in");
    assert_eq!(
        run.stdout
            .matches("::error file=deno.lock,line=1,title=stale lockfile::the lockfile is out of date (found by check, test)")
            .count(),
        1,
        "{}",
        run.stdout
    );
    assert_contains(
        &run.stdout,
        "2 of 4 gates failed: check (`deno check --frozen`), test",
    );
}

#[test]
fn fail_fast_stops_the_other_gates() {
    let project = Project::copy_example();
    project.write("src/badly_formatted.ts", "export const   spaced = 1;\n");
    let run = xtask(&["ci", "--json", "--fail-fast"])
        .project(&project)
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = gate_results(&summary);
    assert_eq!(results[0], ("fmt".into(), "failed".into()));
    assert_eq!(results[1], ("lint".into(), "skipped".into()));
    assert_eq!(results[2], ("check".into(), "skipped".into()));
    assert_ne!(results[3].1, "failed");
}

#[test]
fn no_config_names_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let dir = camino::Utf8Path::from_path(dir.path()).unwrap();
    let run = xtask(&["ci", "--project", dir.as_str()]).run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(&run.stderr, &format!("no deno.json or deno.jsonc in {dir}"));
}

#[test]
fn malformed_config_names_path_line_and_column() {
    let project = Project::copy_example();
    project.write(
        "deno.json",
        "{\n  \"name\": \"@kato/kato\",\n  \"version\" \"0.1.0\"\n}\n",
    );
    let run = xtask(&["ci"]).project(&project).run();
    assert_eq!(run.code, 2, "{}", run.all());
    let expected = format!("{}:3:13: ", project.path().join("deno.json"));
    assert_contains(&run.stderr, &expected);
}

#[test]
fn missing_project_directory_is_an_error() {
    let run = xtask(&["ci", "--project", "/no/such/kato"]).run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(&run.stderr, "/no/such/kato does not exist");
}

#[test]
fn deno_that_cannot_be_found_or_provisioned_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let dir = camino::Utf8Path::from_path(dir.path()).unwrap();
    let run = xtask(&["ci"])
        .env("PATH", dir.as_str())
        .env("XTASK_CACHE_DIR", dir.join("cache").as_str())
        .env_remove("DENO")
        .run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("cannot find or provision deno")
            && run
                .stderr
                .contains("npm, which would install it, is not on PATH"),
        "{}",
        run.stderr
    );
}

#[test]
fn passes_on_a_deno_jsonc_project_with_comments() {
    let project = Project::empty();
    project.write(
        "deno.jsonc",
        "{\n  // a JSONC config, as deno allows\n  \"name\": \"@kato/tiny\",\n  \"version\": \"0.2.0\", /* released */\n  \"exports\": \"./mod.ts\",\n  \"lock\": false\n}\n",
    );
    project.write("mod.ts", "export const answer = 42;\n");
    project.write(
        "mod_test.ts",
        "import { answer } from \"./mod.ts\";\n\nDeno.test(\"answer\", () => {\n  if (answer !== 42) throw new Error(\"wrong\");\n});\n",
    );
    let run = xtask(&["ci", "--json"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    // "lock": false: no lockfile, so no --frozen.
    assert_eq!(summary["gates"][2]["command"], "deno check");
}

#[test]
fn a_closed_stdout_changes_neither_outcome_nor_exit_status() {
    // As `cargo xtask ci | head -1`: the reader is gone before the results are written.
    let mut child = std::process::Command::new(support::xtask_exe())
        .arg("ci")
        .env_remove("GITHUB_ACTIONS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn two_processes_provisioning_at_once_share_one_copy() {
    let cache = tempfile::tempdir().unwrap();
    let cache = camino::Utf8Path::from_path(cache.path()).unwrap();
    let spawn = || {
        let mut command = std::process::Command::new(support::xtask_exe());
        command
            .args(["ci", "--json"])
            .env("XTASK_CACHE_DIR", cache)
            .env_remove("DENO")
            .env_remove("GITHUB_ACTIONS")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command.spawn().unwrap()
    };
    let (first, second) = (spawn(), spawn());
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            summary["deno"]["path"],
            cache
                .join(format!("deno/{}/deno", support::pinned_deno_version()))
                .as_str()
        );
    }
    let entries: Vec<String> = std::fs::read_dir(cache.join("deno"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(entries, [support::pinned_deno_version()]);
}
