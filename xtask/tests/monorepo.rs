//! Every task on examples/kato-monorepo, a Deno workspace shaped like kato's repository:
//! the root's tasks.ci chains fmt:check, lint, check and test tasks with paths, a glob
//! and test permissions; the released app, apps/daemon, holds the version, the entry
//! point and the release permissions. The real deno, on copies of it.

mod support;

use camino::Utf8Path;
use serde_json::Value;
use support::{Project, Run, deno, deno_task, denort_dir, xtask};

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{needle:?} not in:\n{haystack}");
}

fn results(run: &Run) -> Vec<(String, String)> {
    let summary: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the summary: {e}\n{}", run.all()));
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

fn expect(results: &[(&str, &str)]) -> Vec<(String, String)> {
    results
        .iter()
        .map(|(n, r)| (n.to_string(), r.to_string()))
        .collect()
}

/// `cargo xtask ci --json` on the copy.
fn ci(project: &Project) -> Run {
    xtask(&["ci", "--json"]).project(project).run()
}

/// The monorepo in a git repository of its own, on main, everything committed.
fn repository() -> Project {
    let project = Project::copy_monorepo();
    project.init_git();
    project
}

#[test]
fn ci_passes_where_deno_task_ci_passes_and_runs_the_tasks_own_commands() {
    let project = Project::copy_monorepo();
    let reference = deno_task(project.path(), "ci");
    assert_eq!(reference.code, 0, "deno task ci: {}", reference.all());

    let run = ci(&project);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        results(&run),
        expect(&[
            ("fmt:check", "passed"),
            ("lint", "passed"),
            ("check", "passed"),
            ("test", "passed"),
        ])
    );
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        summary["gates_from"],
        format!("tasks.ci of {}", project.path().join("deno.json"))
    );
    assert_eq!(
        summary["gates"][3]["command"],
        "deno test --allow-read --allow-write=.test-tmp --allow-env=KATO_HOME,HOME \
         main_test.ts tests/**/*.ts --frozen --no-check --parallel"
    );
    assert_contains(
        &run.stderr,
        &format!("project: {} (--project)", project.path()),
    );

    // The gate's paths matter: the whole tree is not formatted (docs/ is prose the
    // fmt:check task leaves alone).
    let whole = std::process::Command::new(deno())
        .args(["fmt", "--check"])
        .current_dir(project.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!whole.status.success());
    assert_contains(
        &String::from_utf8_lossy(&whole.stderr),
        "docs/architecture.md",
    );
}

#[test]
fn fmt_exclude_keeps_the_generated_file_out_as_under_deno() {
    let project = Project::copy_monorepo();
    let config = project.read("deno.json");
    let without = config.replace(r#""fmt": { "exclude": ["apps/web/src/generated/"] },"#, "");
    assert_ne!(config, without, "the fixture names fmt.exclude");
    project.write("deno.json", &without);
    let run = ci(&project);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(results(&run)[0], ("fmt:check".into(), "failed".into()));
    assert_contains(&run.stderr, "apps/web/src/generated/routes.ts");
    assert_eq!(deno_task(project.path(), "ci").code, 1);
}

/// Each breakage fails the gate that finds it, and `deno task ci` too.
#[test]
fn each_breakage_fails_its_gate_and_is_named() {
    let cases: [(&str, &str, &str, [&str; 4], &str); 5] = [
        (
            "a formatting error",
            "apps/web/src/badly_formatted.ts",
            "export const   spaced = 1;\n",
            ["failed", "passed", "passed", "passed"],
            "apps/web/src/badly_formatted.ts",
        ),
        (
            "a lint error",
            "apps/daemon/src/lint_error.ts",
            "export function two(): number {\n  const unused = 1;\n  return 2;\n}\n",
            ["passed", "failed", "passed", "passed"],
            "no-unused-vars",
        ),
        (
            "a type error",
            "shared/src/type_error.ts",
            "export const n: number = \"s\";\n",
            ["passed", "passed", "failed", "passed"],
            "TS2322",
        ),
        (
            "a failing test",
            "tests/shared/failing_test.ts",
            "Deno.test(\"fails\", () => {\n  throw new Error(\"broken on purpose\");\n});\n",
            ["passed", "passed", "passed", "failed"],
            "broken on purpose",
        ),
        (
            "a test needing a permission the task does not grant",
            "tests/daemon/path_test.ts",
            "import { equal } from \"node:assert/strict\";\n\nDeno.test(\"reads PATH\", () => {\n  \
             equal(typeof Deno.env.get(\"PATH\"), \"string\");\n});\n",
            ["passed", "passed", "passed", "failed"],
            "NotCapable",
        ),
    ];
    let names = ["fmt:check", "lint", "check", "test"];
    for (what, file, contents, verdicts, said) in cases {
        let project = Project::copy_monorepo();
        project.write(file, contents);
        let run = ci(&project);
        assert_eq!(run.code, 1, "{what}: {}", run.all());
        let expected: Vec<(&str, &str)> = names.iter().copied().zip(verdicts).collect();
        assert_eq!(results(&run), expect(&expected), "{what}: {}", run.all());
        assert_contains(&format!("{}{}", run.stdout, run.stderr), said);
        assert_eq!(
            deno_task(project.path(), "ci").code,
            1,
            "deno task ci passes with {what}"
        );
    }
}

#[test]
fn a_stale_lockfile_fails_the_frozen_gates_and_says_so() {
    let project = Project::copy_monorepo();
    let mut lock: Value = serde_json::from_str(&project.read("deno.lock")).unwrap();
    lock["specifiers"] = serde_json::json!({});
    project.write("deno.lock", &serde_json::to_string_pretty(&lock).unwrap());
    let run = ci(&project);
    assert_eq!(run.code, 1, "{}", run.all());
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    let stale: Vec<&str> = summary["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| !g["stale_lockfile"].is_null())
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(stale, ["check", "test"], "{}", run.all());
    // The gates leave the lockfile as it was.
    assert_eq!(
        serde_json::from_str::<Value>(&project.read("deno.lock")).unwrap(),
        lock
    );
    // `deno task ci` passes: its task runner rewrites the lockfile before the --frozen
    // commands read it (the README says so).
    assert_eq!(deno_task(project.path(), "ci").code, 0);
    assert_ne!(
        serde_json::from_str::<Value>(&project.read("deno.lock")).unwrap(),
        lock
    );
}

#[test]
fn the_plan_shows_stages_lanes_and_why_flags_were_added() {
    let project = Project::copy_monorepo();
    let run = xtask(&["ci", "--print-plan", "--json"])
        .project(&project)
        .run();
    assert_eq!(run.code, 0, "{}", run.all());
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        plan["stages"],
        serde_json::json!([[["fmt:check", "lint", "check"], ["test"]]])
    );
    let test = &plan["gates"][3];
    // The glob is deno's task shell's to expand, exactly as under `deno task`.
    assert_eq!(test["argv"][0], "task");
    assert_eq!(test["argv"][3], "--eval");
    assert_eq!(
        test["notes"],
        serde_json::json!([
            "--no-check: the check gate type-checks every file these tests run",
            "--parallel: the project declares its test modules independent (xtask.parallelTests)"
        ])
    );
    assert_eq!(
        plan["gates"][0]["argv"],
        serde_json::json!([
            "fmt",
            "--check",
            "apps",
            "shared",
            "tests",
            "main.ts",
            "main_test.ts"
        ])
    );

    let text = xtask(&["ci", "--print-plan"]).project(&project).run();
    assert_eq!(text.code, 0, "{}", text.all());
    assert_contains(&text.stdout, "stage 1 (2 lanes side by side):");
    assert_contains(
        &text.stdout,
        "  lane 1: fmt:check: deno fmt --check apps shared tests main.ts main_test.ts",
    );
    assert_contains(
        &text.stdout,
        "    then check: deno check apps shared tests main.ts main_test.ts --frozen",
    );
}

#[test]
fn a_task_that_names_a_missing_task_is_refused_naming_both() {
    let project = Project::copy_monorepo();
    let config = project
        .read("deno.json")
        .replace("deno task lint &&", "deno task lnt &&");
    project.write("deno.json", &config);
    let run = xtask(&["ci"]).project(&project).run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(
        &run.stderr,
        &format!(
            "{}: tasks.ci runs the task \"lnt\", which is not defined",
            project.path().join("deno.json")
        ),
    );
}

#[test]
fn coverage_runs_the_test_gates_command_with_coverage() {
    let project = repository();
    project.git(&["checkout", "-q", "-b", "feature"]);
    let paths = project.read("shared/src/paths.ts");
    project.write(
        "shared/src/paths.ts",
        &format!(
            "{paths}\n/** The last part of `path`. */\nexport function basename(path: string): \
             string {{\n  const parts = normalize(path).split(\"/\");\n  return parts[parts.length \
             - 1];\n}}\n"
        ),
    );
    project.commit_all("basename");
    let out = project.path().parent().unwrap().join("coverage-out");
    let run = xtask(&[
        "coverage",
        "--base",
        "main",
        "--json",
        "--out",
        out.as_str(),
    ])
    .project(&project)
    .run();
    // Four new lines, none tested: the patch gate fails, and says which.
    assert_eq!(run.code, 1, "{}", run.all());
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let changed = &report["src_stats"]["shared/src/paths.ts"];
    assert_eq!(
        changed["covered_lines"],
        serde_json::json!([]),
        "{report:#}"
    );
    assert!(!changed["violation_lines"].as_array().unwrap().is_empty());
    assert_contains(
        &run.stderr,
        "running test: deno test --allow-read --allow-write=.test-tmp --allow-env=KATO_HOME,HOME \
         main_test.ts tests/**/*.ts --frozen --parallel --coverage=",
    );
    let lcov = std::fs::read_to_string(out.join("lcov.info")).unwrap();
    for file in [
        "apps/daemon/src/gates.ts",
        "apps/web/src/status_page.ts",
        "shared/src/paths.ts",
    ] {
        assert_contains(&lcov, &format!("SF:{file}\n"));
    }
}

fn dry_run(project: &Project, extra: &[&str]) -> (Run, camino::Utf8PathBuf) {
    let out = project.path().parent().unwrap().join("dist");
    let denort = denort_dir();
    let mut args = vec![
        "release",
        "0.1.0",
        "--dry-run",
        "--out-dir",
        out.as_str(),
        "--denort-dir",
        denort.as_str(),
    ];
    args.extend(extra);
    (xtask(&args).project(project).run(), out)
}

fn embedded(path: &Utf8Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

#[test]
fn release_dry_run_builds_the_daemon_with_reads_granted_whole_as_declared() {
    let project = repository();
    let (run, out) = dry_run(&project, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let daemon = project.path().join("apps/daemon");
    assert_contains(
        &run.stderr,
        &format!(
            "app: {daemon} (xtask.app of {})",
            project.path().join("deno.json")
        ),
    );
    assert_contains(&run.stdout, "ci passed: 4 gates");
    assert_contains(
        &run.stdout,
        &format!(
            "5 artifacts passed the audit against permissions.user of {daemon}/deno.json; read \
             granted whole, as declared (xtask.release.grantWhole)"
        ),
    );
    let text = embedded(&out.join("kato-linux-x86_64"));
    assert_contains(&text, r#""allow_read":[]"#);
    assert_contains(&text, r#""allow_write":["/var/lib/kato"]"#);
    assert_contains(&text, r#""allow_env":["HOME","KATO_HOME"]"#);
    // The release notes say so too.
    assert_contains(
        &run.stdout,
        "Granted whole, as declared (`xtask.release.grantWhole`): **read**",
    );
}

#[test]
fn release_build_of_the_scoped_policy_passes_the_audit_too() {
    let project = repository();
    let out = project.path().parent().unwrap().join("dist");
    let denort = denort_dir();
    let run = xtask(&[
        "release",
        "build",
        "--permission-set",
        "system",
        "--target",
        "x86_64-unknown-linux-gnu",
        "--target",
        "aarch64-apple-darwin",
        "--out-dir",
        out.as_str(),
        "--denort-dir",
        denort.as_str(),
    ])
    .project(&project)
    .run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(
        &run.stdout,
        "2 artifacts passed the audit against permissions.system",
    );
    let text = embedded(&out.join("kato-darwin-arm64"));
    assert_contains(&text, r#""allow_read":["/etc/kato","/var/lib/kato"]"#);
}

#[test]
fn a_whole_grant_not_declared_is_refused_before_anything_is_compiled() {
    let project = Project::copy_monorepo();
    let config = project
        .read("apps/daemon/deno.json")
        .replace(r#", "grantWhole": ["read"]"#, "");
    project.write("apps/daemon/deno.json", &config);
    project.init_git();
    let (run, out) = dry_run(&project, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(
        &run.stderr,
        "permissions.user.read: true grants every read value; list the values the release \
         needs, or declare that it is meant",
    );
    assert!(!out.exists(), "nothing was compiled");
}

#[test]
fn bump_and_verify_tag_use_the_apps_version() {
    let project = repository();
    let run = xtask(&["bump", "patch"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    let daemon_config = project.path().join("apps/daemon/deno.json");
    assert_contains(
        &run.stdout,
        &format!("{daemon_config}: version 0.1.0 -> 0.1.1"),
    );
    assert_contains(
        &project.read("apps/daemon/deno.json"),
        r#""version": "0.1.1","#,
    );
    // The daemon reads its version from its deno.json: the gate still passes.
    assert_eq!(deno_task(project.path(), "ci").code, 0);
    project.commit_all("Release 0.1.1");
    project.git(&["tag", "-a", "v0.1.1", "-m", "kato 0.1.1"]);

    let run = xtask(&["verify-tag", "v0.1.1"]).project(&project).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(
        &run.stdout,
        &format!("v0.1.1 matches version 0.1.1 in {daemon_config}"),
    );

    project.git(&["tag", "-a", "v0.2.0", "-m", "kato 0.2.0"]);
    let run = xtask(&["verify-tag", "v0.2.0"]).project(&project).run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains(&run.stderr, daemon_config.as_str());
}

#[test]
fn the_project_is_found_from_the_current_directory_and_named_first() {
    let project = repository();
    let inside = project.path().join("apps/daemon/src");
    let run = xtask(&["ci", "--print-plan"]).current_dir(&inside).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        format!(
            "project: {} (the workspace holding {}/apps/daemon, the nearest to the current \
             directory)",
            project.path(),
            project.path()
        )
    );
    assert_contains(&run.stdout, "gates: tasks.ci of");

    // A directory without a config of its own finds the root's.
    let run = xtask(&["ci", "--print-plan"])
        .current_dir(&project.path().join("tests/daemon"))
        .run();
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        format!(
            "project: {} (the nearest deno.json(c) to the current directory)",
            project.path()
        )
    );

    // XTASK_PROJECT beats the current directory, and --project beats both.
    let other = Project::copy_example();
    let run = xtask(&["ci", "--print-plan"])
        .current_dir(&inside)
        .env("XTASK_PROJECT", other.path().as_str())
        .run();
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        format!("project: {} ($XTASK_PROJECT)", other.path())
    );
    let run = xtask(&["ci", "--print-plan"])
        .current_dir(&inside)
        .env("XTASK_PROJECT", other.path().as_str())
        .project(&project)
        .run();
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        format!("project: {} (--project)", project.path())
    );
}

#[test]
fn sibling_configs_without_a_workspace_are_projects_of_their_own() {
    let project = Project::empty();
    project.write("deno.json", r#"{ "lock": false }"#);
    project.write("apps/tool/deno.json", r#"{ "lock": false }"#);
    project.init_git();
    let run = xtask(&["ci", "--print-plan"])
        .current_dir(&project.path().join("apps/tool"))
        .run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        format!(
            "project: {}/apps/tool (the nearest deno.json(c) to the current directory)",
            project.path()
        )
    );
    assert_contains(&run.stdout, "gates: the runbook's gates");
}

#[test]
fn outside_any_repository_the_example_is_used_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let dir = Utf8Path::from_path(dir.path()).unwrap();
    std::fs::write(dir.join("deno.json"), "{}").unwrap();
    let run = xtask(&["ci", "--print-plan"]).current_dir(dir).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains(
        run.stderr.lines().next().unwrap(),
        "examples/kato (the example: no deno.json(c) from the current directory up to its \
         repository's root; name one with --project)",
    );
}

#[test]
fn an_app_that_is_not_there_is_named() {
    let project = Project::copy_monorepo();
    let run = xtask(&["bump", "patch", "--app", "apps/deamon"])
        .project(&project)
        .run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains(&run.stderr, "the app apps/deamon from --app");
    assert_contains(
        &run.stderr,
        "apps/deamon does not exist or is not a directory",
    );
    assert_eq!(
        project.read("apps/daemon/deno.json"),
        std::fs::read_to_string(
            support::repo_root().join("examples/kato-monorepo/apps/daemon/deno.json")
        )
        .unwrap()
    );
}
