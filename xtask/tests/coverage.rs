//! `cargo xtask coverage`: on the example project with real deno coverage and a real git
//! change, on lcov files given with --lcov, and on every kind of bad input.

mod support;

#[path = "../../crates/coverage-export/tests/support/mod.rs"]
mod reference;

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use fake_github::{ACTIONS_BOT, Access, FakeGitHub, Fault, State};
use reference::git;
use serde_json::Value;
use support::{Project, Run, xtask};

fn init_repo(dir: &Utf8Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.email", "test@example.invalid"]);
    git(dir, &["config", "user.name", "test"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "base"]);
}

/// A copy of examples/kato in its own git repository, on branch `feature` off `main`,
/// with a change to src/paths.ts: one tested line edited, one untested function added.
fn example_with_change() -> Project {
    let project = Project::copy_example();
    init_repo(project.path());
    git(project.path(), &["checkout", "-q", "-b", "feature"]);
    let paths = project.read("src/paths.ts").replace(
        "  return path.startsWith(\"/\");",
        "  return path.length > 0 && path.startsWith(\"/\");",
    );
    project.write(
        "src/paths.ts",
        &format!(
            "{paths}\n/** The last component of `path`. */\nexport function basename(path: string): string {{\n  const parts = normalize(path).split(\"/\");\n  return parts[parts.length - 1];\n}}\n"
        ),
    );
    git(project.path(), &["commit", "-q", "-am", "basename"]);
    project
}

fn out_dir(project: &Project) -> Utf8PathBuf {
    project.path().parent().unwrap().join("coverage-out")
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the JSON report: {e}\n{}", run.all()))
}

#[test]
fn the_example_project_with_a_change_agrees_with_diff_cover() {
    let project = example_with_change();
    let out = out_dir(&project);
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
    assert_eq!(
        run.code,
        1,
        "4 of 5 changed lines do not run: below 85%\n{}",
        run.all()
    );
    let ours = json(&run);
    assert_eq!(
        ours["src_stats"]["src/paths.ts"]["covered_lines"],
        serde_json::json!([8])
    );
    assert_eq!(
        ours["src_stats"]["src/paths.ts"]["violation_lines"],
        serde_json::json!([45, 46, 47, 48])
    );
    assert_eq!(ours["patch"]["passed"], false);
    // deno's own lcov, as written before the task read it, given to diff-cover.
    let reference = reference::reference(project.path(), &out.join("deno.lcov"), "main");
    reference::assert_agree(&ours, &reference);
    for (name, _) in coverage_export::OUTPUT_FILES {
        assert!(out.join(name).is_file(), "{name} is written");
    }

    let passing = xtask(&[
        "coverage",
        "--base",
        "main",
        "--fail-under",
        "20",
        "--out",
        out.as_str(),
    ])
    .project(&project)
    .run();
    assert_eq!(passing.code, 0, "{}", passing.all());
    assert!(passing.stdout.contains("src/paths.ts"), "{}", passing.all());
    assert!(
        passing.stdout.contains("45-48"),
        "the uncovered range is shown\n{}",
        passing.all()
    );
    assert!(
        passing
            .stdout
            .contains("PASS: patch coverage 20.0% of 5 changed lines, gate 20%"),
        "{}",
        passing.all()
    );
}

#[test]
fn failing_tests_fail_the_task_before_coverage() {
    let project = Project::copy_example();
    init_repo(project.path());
    project.write(
        "src/broken_test.ts",
        "Deno.test(\"broken\", () => { throw new Error(\"no\"); });\n",
    );
    let run = xtask(&[
        "coverage",
        "--base",
        "main",
        "--out",
        out_dir(&project).as_str(),
    ])
    .project(&project)
    .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("the tests failed, so coverage was not measured"),
        "{}",
        run.all()
    );
}

/// A small repository with a change on `feature` and an lcov file for it.
struct Fixture {
    project: Project,
    lcov: Utf8PathBuf,
}

fn fixture() -> Fixture {
    let project = Project::empty();
    project.write("src/a.ts", &"export const a = 1;\n".repeat(10));
    init_repo(project.path());
    git(project.path(), &["checkout", "-q", "-b", "feature"]);
    project.write("src/a.ts", &"export const b = 2;\n".repeat(10));
    git(project.path(), &["commit", "-q", "-am", "change"]);
    let lcov = project.path().parent().unwrap().join("a.lcov");
    let mut text = format!("SF:{}\n", project.path().join("src/a.ts"));
    for line in 1..=10 {
        text.push_str(&format!("DA:{line},{}\n", u32::from(line > 2)));
    }
    std::fs::write(&lcov, text + "end_of_record\n").unwrap();
    Fixture { project, lcov }
}

impl Fixture {
    fn coverage(&self, extra: &[&str]) -> Run {
        self.coverage_in(self.project.path(), extra)
    }

    /// `cargo xtask coverage --lcov <the fixture's lcov> --out <beside the project>`, run
    /// in `dir`.
    fn coverage_in(&self, dir: &Utf8Path, extra: &[&str]) -> Run {
        let out = out_dir(&self.project);
        let mut args = vec![
            "coverage",
            "--lcov",
            self.lcov.as_str(),
            "--out",
            out.as_str(),
        ];
        args.extend_from_slice(extra);
        xtask(&args).current_dir(dir).run()
    }

    /// A `--depth 1` clone of the fixture beside it.
    fn shallow_clone(&self, name: &str, extra: &[&str]) -> Utf8PathBuf {
        let beside = self.project.path().parent().unwrap();
        let clone = beside.join(name);
        let url = format!("file://{}", self.project.path());
        let mut args = vec!["clone", "-q", "--depth", "1"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[&url, clone.as_str()]);
        git(beside, &args);
        clone
    }

    fn nothing_written(&self) -> bool {
        !out_dir(&self.project).exists()
    }
}

#[test]
fn an_lcov_file_on_any_repository() {
    let f = fixture();
    let run = f.coverage(&["--base", "main"]);
    assert_eq!(run.code, 1, "8 of 10 is below 85%\n{}", run.all());
    assert!(run.stdout.contains("FAIL: patch coverage 80.0% of 10 changed lines is below the gate of 85%: 2 changed lines are not run by any test"), "{}", run.all());
    let run = f.coverage(&["--base", "main", "--fail-under", "80"]);
    assert_eq!(run.code, 0, "{}", run.all());
    // --repo names the repository from anywhere.
    let elsewhere = xtask(&[
        "coverage",
        "--lcov",
        f.lcov.as_str(),
        "--repo",
        f.project.path().as_str(),
        "--base",
        "main",
        "--json",
        "--out",
        out_dir(&f.project).as_str(),
    ])
    .current_dir(Utf8Path::new("/"))
    .run();
    assert_eq!(
        json(&elsewhere)["total_num_violations"],
        2,
        "{}",
        elsewhere.all()
    );
}

#[test]
fn the_gate_from_the_environment_and_a_report_made_on_another_machine() {
    let f = fixture();
    // XTASK_COVERAGE_FAIL_UNDER sets the gate; --fail-under overrides it.
    let out = out_dir(&f.project);
    let args = ["coverage", "--lcov", f.lcov.as_str(), "--base", "main"];
    let with_gate = |gate: &str, extra: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--out", out.as_str()]);
        all.extend_from_slice(extra);
        xtask(&all)
            .env("XTASK_COVERAGE_FAIL_UNDER", gate)
            .current_dir(f.project.path())
            .run()
    };
    assert_eq!(with_gate("80", &[]).code, 0);
    assert_eq!(with_gate("81", &[]).code, 1);
    assert_eq!(with_gate("81", &["--fail-under", "80"]).code, 0);

    // The same report as a CI runner wrote it, read with --path-prefix.
    let runner = "/home/runner/work/kato/kato";
    let moved = std::fs::read_to_string(&f.lcov)
        .unwrap()
        .replace(f.project.path().as_str(), runner);
    let moved_lcov = f.project.path().parent().unwrap().join("runner.lcov");
    std::fs::write(&moved_lcov, moved).unwrap();
    let read = |extra: &[&str]| {
        let mut all = vec!["coverage", "--lcov", moved_lcov.as_str(), "--base", "main"];
        all.extend_from_slice(&["--json", "--out", out.as_str()]);
        all.extend_from_slice(extra);
        xtask(&all).current_dir(f.project.path()).run()
    };
    let remapped = json(&read(&["--path-prefix", &format!("{runner}=.")]));
    assert_eq!(remapped["total_num_lines"], 10);
    assert_eq!(remapped["total_num_violations"], 2);
    // Without it, the report's file is outside the repository: left out and counted.
    let unmapped = read(&[]);
    let unmapped = json(&unmapped);
    assert_eq!(unmapped["total_num_lines"], 0);
    assert_eq!(unmapped["files_outside_repository"], 1);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("Files of the coverage report outside the repository, left out: 1."),
        "{summary}"
    );
}

#[test]
fn the_base_defaults_to_origin_main_then_main_and_github_base_ref() {
    let f = fixture();
    let run = f.coverage(&["--json"]);
    assert_eq!(
        json(&run)["diff_name"],
        "main...HEAD, staged and unstaged changes"
    );
    git(
        f.project.path(),
        &["update-ref", "refs/remotes/origin/main", "main"],
    );
    let run = f.coverage(&["--json"]);
    assert_eq!(
        json(&run)["diff_name"],
        "origin/main...HEAD, staged and unstaged changes"
    );
    git(
        f.project.path(),
        &["update-ref", "refs/remotes/origin/release", "main"],
    );
    let out = out_dir(&f.project);
    let run = xtask(&[
        "coverage",
        "--lcov",
        f.lcov.as_str(),
        "--json",
        "--out",
        out.as_str(),
    ])
    .current_dir(f.project.path())
    .env("GITHUB_BASE_REF", "release")
    .run();
    assert_eq!(
        json(&run)["diff_name"],
        "origin/release...HEAD, staged and unstaged changes"
    );
}

#[test]
fn staged_and_unstaged_changes_can_be_left_out() {
    let f = fixture();
    git(f.project.path(), &["checkout", "-q", "main"]);
    git(f.project.path(), &["checkout", "-q", "-b", "clean"]);
    let unstaged = format!("export const c = 3;\n{}", "export const a = 1;\n".repeat(9));
    f.project.write("src/a.ts", &unstaged);
    let run = f.coverage(&["--base", "main", "--json"]);
    assert_eq!(json(&run)["total_num_lines"], 1, "{}", run.all());
    let run = f.coverage(&["--base", "main", "--json", "--ignore-unstaged"]);
    assert_eq!(json(&run)["total_num_lines"], 0, "{}", run.all());
    assert_eq!(json(&run)["patch"]["verdict"], "no coverable changed lines");
}

#[test]
fn ignore_staged_leaves_out_the_staged_change_and_keeps_the_unstaged_one() {
    let f = fixture();
    git(f.project.path(), &["checkout", "-q", "main"]);
    git(f.project.path(), &["checkout", "-q", "-b", "clean"]);
    // Line 1 changed and staged, line 3 changed in the work tree only.
    let lines = |first: &str, third: &str| {
        let mut text = format!("{first}\nexport const a = 1;\n{third}\n");
        text.push_str(&"export const a = 1;\n".repeat(7));
        text
    };
    f.project.write(
        "src/a.ts",
        &lines("export const s = 1;", "export const a = 1;"),
    );
    git(f.project.path(), &["add", "src/a.ts"]);
    f.project.write(
        "src/a.ts",
        &lines("export const s = 1;", "export const u = 3;"),
    );
    let both = json(&f.coverage(&["--base", "main", "--json"]));
    assert_eq!(
        both["src_stats"]["src/a.ts"]["violation_lines"],
        serde_json::json!([1])
    );
    assert_eq!(
        both["src_stats"]["src/a.ts"]["covered_lines"],
        serde_json::json!([3])
    );
    let run = f.coverage(&["--base", "main", "--json", "--ignore-staged"]);
    let unstaged = json(&run);
    assert_eq!(
        unstaged["diff_name"],
        "main...HEAD and unstaged changes",
        "{}",
        run.all()
    );
    assert_eq!(unstaged["total_num_lines"], 1, "{}", run.all());
    assert_eq!(
        unstaged["src_stats"]["src/a.ts"]["violation_lines"],
        serde_json::json!([])
    );
    assert_eq!(
        unstaged["src_stats"]["src/a.ts"]["covered_lines"],
        serde_json::json!([3])
    );
}

#[test]
fn overall_figures_count_every_file_of_the_report() {
    let f = fixture();
    // A file the change does not touch still counts overall: 4 functions, 3 of them run;
    // 2 branches, 1 taken; lines 1-3 of which 2 run.
    f.project
        .write("src/b.ts", "export function b() {}\n".repeat(3).as_str());
    f.project.commit_all("b");
    let mut lcov = std::fs::read_to_string(&f.lcov).unwrap();
    lcov.push_str(&format!(
        "SF:{}\nFN:1,one\nFN:2,two\nFN:3,three\nFN:3,four\nFNDA:1,one\nFNDA:2,two\nFNDA:0,three\nFNDA:5,four\n\
         BRDA:3,0,0,1\nBRDA:3,0,1,0\nDA:1,1\nDA:2,1\nDA:3,0\nend_of_record\n",
        f.project.path().join("src/b.ts")
    ));
    std::fs::write(&f.lcov, lcov).unwrap();
    let run = f.coverage(&["--base", "main", "--json"]);
    let overall = &json(&run)["overall"];
    assert_eq!(
        overall,
        &serde_json::json!({
            "files": 2,
            "lines": { "found": 13, "hit": 10, "percent": 10.0 / 13.0 * 100.0 },
            "branches": { "found": 2, "hit": 1, "percent": 50.0 },
            "functions": { "found": 4, "hit": 3, "percent": 75.0 },
        }),
        "{}",
        run.all()
    );
    let summary = std::fs::read_to_string(out_dir(&f.project).join("summary.md")).unwrap();
    assert!(
        summary.contains(
            "Overall (a trend, not a gate): lines 76.9% (10/13), branches 50.0%, functions 75.0%, in 2 files."
        ),
        "{summary}"
    );
}

#[test]
fn no_coverable_changed_line_passes_and_says_why() {
    let f = fixture();
    f.project.write("README.md", "# notes\n");
    git(f.project.path(), &["add", "README.md"]);
    git(f.project.path(), &["commit", "-q", "-m", "docs"]);
    let run = f.coverage(&["--base", "feature~1"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains(
            "PASS: no changed line is measured by the coverage report, so there is nothing to gate"
        ),
        "{}",
        run.all()
    );
}

#[test]
fn in_github_actions_it_annotates_summarizes_and_sets_outputs() {
    let f = fixture();
    let dir = f.project.path().parent().unwrap();
    let (summary, output) = (dir.join("summary.md"), dir.join("output.txt"));
    let out = out_dir(&f.project);
    let run = xtask(&[
        "coverage",
        "--lcov",
        f.lcov.as_str(),
        "--base",
        "main",
        "--out",
        out.as_str(),
    ])
    .current_dir(f.project.path())
    .env("GITHUB_ACTIONS", "true")
    .env("GITHUB_WORKSPACE", f.project.path().as_str())
    .env("GITHUB_STEP_SUMMARY", summary.as_str())
    .env("GITHUB_OUTPUT", output.as_str())
    .env("GITHUB_SERVER_URL", "https://github.example")
    .env("GITHUB_REPOSITORY", "octo/kato")
    .env("GITHUB_RUN_ID", "42")
    .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("::warning file=src/a.ts,line=1,endLine=2,title=Changed lines not covered by tests::Lines 1-2 are changed and no test runs them."),
        "{}",
        run.all()
    );
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(
        summary.contains("❌ Patch coverage 80.0% of 10 changed lines, below the gate of 85%"),
        "{summary}"
    );
    assert!(
        summary.contains("| `src/a.ts` | 80.0% | 8/10 | 1-2 |"),
        "{summary}"
    );
    assert!(
        summary.contains("Line by line: `html/index.html` in the coverage reports uploaded with [this run](https://github.example/octo/kato/actions/runs/42)."),
        "{summary}"
    );
    let output = std::fs::read_to_string(output).unwrap();
    assert!(output.contains("patch=80.00\n"), "{output}");
    assert!(output.contains("overall=80.00\n"), "{output}");
}

#[test]
fn the_report_files() {
    let f = fixture();
    let run = f.coverage(&["--base", "main", "--json"]);
    let out = out_dir(&f.project);
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("coverage.json")).unwrap()).unwrap();
    assert_eq!(
        json(&run),
        on_disk,
        "--json prints the report that is written"
    );
    let lcov = std::fs::read_to_string(out.join("lcov.info")).unwrap();
    assert!(
        lcov.starts_with("SF:src/a.ts\n"),
        "repository-relative paths\n{lcov}"
    );
    assert!(lcov.contains("LH:8\nLF:10\nend_of_record\n"), "{lcov}");
    let cobertura = std::fs::read_to_string(out.join("cobertura.xml")).unwrap();
    assert!(
        cobertura.contains(r#"<class name="a.ts" filename="src/a.ts" line-rate="0.8""#),
        "{cobertura}"
    );
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])",
        ])
        .arg(out.join("cobertura.xml").as_str())
        .status()
        .expect("python3 checks that the XML is well-formed");
    assert!(parsed.success(), "cobertura.xml is well-formed XML");
    let badge: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("badge.json")).unwrap()).unwrap();
    assert_eq!(badge["message"], "80.0%");
    assert!(
        std::fs::read_to_string(out.join("badge.svg"))
            .unwrap()
            .contains("coverage: 80.0%")
    );
    assert!(
        std::fs::read_to_string(out.join("summary.md"))
            .unwrap()
            .contains("Overall (a trend, not a gate): lines 80.0% (8/10)")
    );
    let leftovers: Vec<_> = out
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The fixture with two more changed files, src/gen/b.ts (no line run) and lib/c.ts (all
/// run), and an unchanged one in the report, docs/d.ts.
fn fixture_with_more_files() -> Fixture {
    let f = fixture();
    git(f.project.path(), &["checkout", "-q", "main"]);
    for name in ["src/gen/b.ts", "lib/c.ts", "docs/d.ts"] {
        f.project.write(name, &"export const x = 1;\n".repeat(4));
    }
    f.project.commit_all("more files");
    git(f.project.path(), &["checkout", "-q", "feature"]);
    git(f.project.path(), &["merge", "-q", "--no-edit", "main"]);
    for name in ["src/gen/b.ts", "lib/c.ts"] {
        f.project.write(name, &"export const y = 2;\n".repeat(4));
    }
    f.project.commit_all("change them");
    let mut lcov = std::fs::read_to_string(&f.lcov).unwrap();
    for (name, hits) in [("src/gen/b.ts", 0), ("lib/c.ts", 3), ("docs/d.ts", 1)] {
        lcov.push_str(&format!("SF:{}\n", f.project.path().join(name)));
        for line in 1..=4 {
            lcov.push_str(&format!("DA:{line},{hits}\n"));
        }
        lcov.push_str("end_of_record\n");
    }
    std::fs::write(&f.lcov, lcov).unwrap();
    f
}

#[test]
fn include_and_exclude_apply_to_changed_lines_and_overall_figures() {
    let f = fixture_with_more_files();
    let all = json(&f.coverage(&["--base", "main", "--json"]));
    assert_eq!(all["total_num_lines"], 18);
    assert_eq!(all["overall"]["files"], 4);
    assert_eq!(all["files_filtered_out"], 0);

    let run = f.coverage(&["--base", "main", "--json", "--exclude", "src/gen/*"]);
    let excluded = json(&run);
    assert_eq!(excluded["total_num_lines"], 14, "{}", run.all());
    assert_eq!(excluded["total_num_violations"], 2);
    assert_eq!(excluded["overall"]["files"], 3);
    assert_eq!(excluded["overall"]["lines"]["found"], 18);
    assert_eq!(excluded["files_filtered_out"], 1);
    assert_eq!(
        excluded["filter"]["exclude"],
        serde_json::json!(["src/gen/*"])
    );
    let lcov = std::fs::read_to_string(out_dir(&f.project).join("lcov.info")).unwrap();
    assert!(!lcov.contains("src/gen/b.ts"), "{lcov}");
    let summary = std::fs::read_to_string(out_dir(&f.project).join("summary.md")).unwrap();
    assert!(
        summary.contains(
            "Files counted: `--exclude src/gen/*`; files of the coverage report left out by it: 1."
        ),
        "{summary}"
    );

    // Repeatable: either include counts; * stays within a directory.
    let run = f.coverage(&[
        "--base",
        "main",
        "--include",
        "src/*.ts",
        "--include",
        "lib/**",
        "--fail-under",
        "85",
    ]);
    assert_eq!(run.code, 0, "12 of 14 changed lines run\n{}", run.all());
    assert!(
        run.stdout.contains(
            "files counted: --include src/*.ts --include lib/**; files of the report left out by it: 2"
        ),
        "{}",
        run.all()
    );
    assert!(
        run.stdout
            .contains("PASS: patch coverage 85.7% of 14 changed lines"),
        "{}",
        run.all()
    );
}

#[test]
fn patterns_from_deno_json_are_relative_to_the_project_and_flags_replace_them() {
    let repo = Project::empty();
    repo.write(
        "app/deno.json",
        "{\n  // the project's settings\n  \"name\": \"@x/app\",\n  \"xtask\": { \"coverage\": { \"exclude\": [\"gen/*\"], }, },\n}\n",
    );
    for name in ["app/src/a.ts", "app/gen/b.ts", "gen/c.ts"] {
        repo.write(name, &"export const a = 1;\n".repeat(2));
    }
    init_repo(repo.path());
    git(repo.path(), &["checkout", "-q", "-b", "feature"]);
    let mut lcov = String::new();
    for name in ["app/src/a.ts", "app/gen/b.ts", "gen/c.ts"] {
        repo.write(name, &"export const b = 2;\n".repeat(2));
        lcov.push_str(&format!(
            "SF:{}\nDA:1,1\nDA:2,0\nend_of_record\n",
            repo.path().join(name)
        ));
    }
    repo.commit_all("change");
    let lcov_file = repo.path().parent().unwrap().join("app.lcov");
    std::fs::write(&lcov_file, lcov).unwrap();
    let out = out_dir(&repo);
    let run = |extra: &[&str]| {
        let mut args = vec!["coverage", "--lcov", lcov_file.as_str(), "--base", "main"];
        args.extend_from_slice(&["--json", "--out", out.as_str()]);
        args.extend_from_slice(extra);
        let run = xtask(&args).current_dir(repo.path()).run();
        (json(&run), run)
    };
    // The project's patterns: app/gen/b.ts is left out, gen/c.ts (outside it) is not.
    let (from_config, plain) = run(&["--project", repo.path().join("app").as_str()]);
    assert_eq!(
        from_config["filter"]["exclude"],
        serde_json::json!(["app/gen/*"]),
        "{}",
        plain.all()
    );
    let files = |report: &Value| {
        let mut names: Vec<String> = report["src_stats"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    };
    assert_eq!(files(&from_config), ["app/src/a.ts", "gen/c.ts"]);
    // --exclude replaces the file's list; without --project, deno.json is not read.
    let (flag, _) = run(&[
        "--project",
        repo.path().join("app").as_str(),
        "--exclude",
        "gen/*",
    ]);
    assert_eq!(files(&flag), ["app/gen/b.ts", "app/src/a.ts"]);
    let (without, _) = run(&[]);
    assert_eq!(files(&without).len(), 3);
}

#[test]
fn deno_accepts_the_xtask_key_of_deno_json() {
    // The real deno reads the project (ci's fmt, lint, check and test, then coverage)
    // with the key in its deno.json, and the pattern leaves the changed file out.
    let project = example_with_change();
    let config = project.read("deno.json").replacen(
        "  \"exports\": \"./main.ts\",\n",
        "  \"exports\": \"./main.ts\",\n  \"xtask\": { \"coverage\": { \"exclude\": [\"src/paths.ts\"] } },\n",
        1,
    );
    project.write("deno.json", &config);
    project.commit_all("exclude paths.ts");
    let ci = xtask(&["ci"]).project(&project).run();
    assert_eq!(ci.code, 0, "{}", ci.all());
    let out = out_dir(&project);
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
    assert_eq!(run.code, 0, "{}", run.all());
    let report = json(&run);
    assert_eq!(report["total_num_lines"], 0, "{}", run.all());
    assert_eq!(report["files_filtered_out"], 1);
    assert_eq!(report["patch"]["verdict"], "no coverable changed lines");
}

#[test]
fn malformed_patterns_are_refused_naming_them() {
    let f = fixture();
    let run = f.coverage(&["--base", "main", "--include", "src/[ab.ts"]);
    assert_refused(
        &run,
        &f,
        "invalid value 'src/[ab.ts' for '--include <GLOB>': \"src/[ab.ts\" is not a glob: the `[` at character 5 has no `]` to close it",
    );
    let run = f.coverage(&["--base", "main", "--exclude", ""]);
    assert_refused(&run, &f, "\"\" is not a glob: it is empty");
    f.project.write(
        "deno.json",
        "{ \"xtask\": { \"coverage\": { \"exclude\": [\"ok/*\", \"src/[x\"] } } }\n",
    );
    let run = f.coverage(&["--base", "main", "--project", f.project.path().as_str()]);
    assert_refused(
        &run,
        &f,
        &format!(
            "{}: xtask.coverage.exclude[1]: \"src/[x\" is not a glob",
            f.project.path().join("deno.json")
        ),
    );
    f.project.write(
        "deno.json",
        "{ \"xtask\": { \"coverage\": { \"only\": [] } } }\n",
    );
    let run = f.coverage(&["--base", "main", "--project", f.project.path().as_str()]);
    assert_refused(
        &run,
        &f,
        "xtask.coverage.only is not a setting: the settings are include and exclude",
    );
}

#[test]
fn the_html_report_shows_each_line_and_marks_the_changed_ones() {
    let f = fixture();
    // A file whose name and source need escaping, unchanged, in the report.
    let odd = "src/we<ird> & \"q\".ts";
    git(f.project.path(), &["checkout", "-q", "main"]);
    f.project
        .write(odd, "const t = \"<script>alert(1)</script>\";\n");
    f.project.commit_all("odd");
    git(f.project.path(), &["checkout", "-q", "feature"]);
    git(f.project.path(), &["merge", "-q", "--no-edit", "main"]);
    let mut lcov = std::fs::read_to_string(&f.lcov).unwrap();
    lcov.push_str(&format!(
        "SF:{}\nDA:1,4\nend_of_record\n",
        f.project.path().join(odd)
    ));
    std::fs::write(&f.lcov, lcov).unwrap();
    let run = f.coverage(&["--base", "main"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let out = out_dir(&f.project);
    let html = out.join("html");
    let index = std::fs::read_to_string(html.join("index.html")).unwrap();
    assert!(
        index.contains(
            "<tr><td><a href=\"files/src/a.ts.html\">src/a.ts</a></td><td class=\"n\">80.0%</td><td class=\"n\">8/10</td><td>1-2</td></tr>"
        ),
        "{index}"
    );
    assert!(
        index.contains(
            "<a href=\"files/src/we%3Cird%3E%20%26%20%22q%22.ts.html\">src/we&lt;ird&gt; &amp; &quot;q&quot;.ts</a>"
        ),
        "{index}"
    );
    let page = std::fs::read_to_string(html.join("files/src/a.ts.html")).unwrap();
    assert!(
        page.contains("<tr id=L1 class=\"miss chg\"><td>1<td>0<td>export const b = 2;</td>\n"),
        "{page}"
    );
    assert!(page.contains("<tr id=L3 class=\"hit chg\">"), "{page}");
    assert!(
        page.contains("<a href=\"../../index.html\">All files</a>"),
        "{page}"
    );
    let odd_page = std::fs::read_to_string(html.join(format!("files/{odd}.html"))).unwrap();
    assert!(
        odd_page
            .contains("<td>const t = &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;;</td>\n"),
        "{odd_page}"
    );
    assert!(
        odd_page.contains("<tr id=L1 class=hit>"),
        "unchanged: {odd_page}"
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.ends_with("\nLine by line: [the HTML report](html/index.html).\n"),
        "{summary}"
    );

    // A later run replaces the whole directory: the left-out file's page is gone, and
    // nothing staged is left beside it.
    let run = f.coverage(&["--base", "main", "--exclude", "src/we*"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(html.join("files/src/a.ts.html").is_file());
    assert!(!html.join(format!("files/{odd}.html")).exists());
    let leftovers: Vec<String> = out
        .read_dir_utf8()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn assert_refused(run: &Run, f: &Fixture, message: &str) {
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(message),
        "expected {message:?} in\n{}",
        run.all()
    );
    assert!(f.nothing_written(), "nothing is written on bad input");
}

#[test]
fn a_base_that_does_not_exist() {
    let f = fixture();
    let run = f.coverage(&["--base", "origin/nope"]);
    assert_refused(
        &run,
        &f,
        "the base ref \"origin/nope\" does not exist: name an existing branch, tag or commit with --base, or fetch it first (git fetch origin nope)",
    );
}

#[test]
fn with_json_in_github_actions_an_error_is_annotated_on_stderr() {
    let f = fixture();
    let out = out_dir(&f.project);
    let run = |json: bool| {
        let mut args = vec!["coverage", "--lcov", f.lcov.as_str(), "--out", out.as_str()];
        args.extend(["--base", "origin/nope"]);
        if json {
            args.push("--json");
        }
        xtask(&args)
            .current_dir(f.project.path())
            .env("GITHUB_ACTIONS", "true")
            .run()
    };
    let annotation = "::error title=cargo xtask::the base ref \"origin/nope\" does not exist";
    let json = run(true);
    assert_refused(&json, &f, "the base ref \"origin/nope\" does not exist");
    assert_eq!(
        json.stdout,
        "",
        "stdout holds JSON or nothing\n{}",
        json.all()
    );
    assert!(json.stderr.contains(annotation), "{}", json.all());
    // Without --json the annotation stays on stdout, where the task's output goes.
    let plain = run(false);
    assert_eq!(plain.code, 2, "{}", plain.all());
    assert!(plain.stdout.contains(annotation), "{}", plain.all());
    assert!(!plain.stderr.contains("::error"), "{}", plain.all());
}

#[test]
fn unrelated_histories() {
    let f = fixture();
    git(f.project.path(), &["checkout", "-q", "--orphan", "other"]);
    git(f.project.path(), &["commit", "-q", "-m", "unrelated"]);
    let run = f.coverage(&["--base", "main"]);
    assert_refused(
        &run,
        &f,
        "HEAD and \"main\" have no common commit (unrelated histories)",
    );
}

#[test]
fn a_shallow_clone_without_the_base() {
    let f = fixture();
    let clone = f.shallow_clone("shallow", &["--branch", "feature", "--single-branch"]);
    let run = f.coverage_in(&clone, &["--base", "origin/main"]);
    assert_refused(
        &run,
        &f,
        "the base ref \"origin/main\" is not in this shallow clone: fetch it (git fetch origin main), or check out with full history (actions/checkout with fetch-depth: 0)",
    );

    // Both branches fetched, but not far enough back to reach where they part.
    let both = f.shallow_clone("shallow-both", &["--no-single-branch"]);
    let run = f.coverage_in(&both, &["--base", "origin/main"]);
    assert_refused(
        &run,
        &f,
        "have no common commit in this shallow clone: fetch more history (git fetch --unshallow), or check out with fetch-depth: 0",
    );
}

#[test]
fn not_a_git_repository() {
    let f = fixture();
    let plain = f.project.path().parent().unwrap().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let run = f.coverage(&["--base", "main", "--repo", plain.as_str()]);
    assert_refused(&run, &f, &format!("{plain} is not in a git repository"));
}

#[test]
fn bad_lcov_files() {
    let f = fixture();
    let cases = [
        ("", "holds no coverage records"),
        (
            "SF:/x/a.ts\nDA:1,1\n",
            ":2: the file ends inside the record for /x/a.ts begun at line 1: end_of_record is missing",
        ),
        (
            "SF:/x/a.ts\nDA:1,one\nend_of_record\n",
            ":2: DA hit count is not a number: \"one\"",
        ),
        (
            "SF:/x/a.ts\nDA:1,-1\nend_of_record\n",
            ":2: negative DA hit count: \"-1\"",
        ),
        (
            "SF:/x/a.ts\nWHAT:1\nend_of_record\n",
            ":2: unknown lcov record \"WHAT\" inside the record for /x/a.ts",
        ),
        (
            "SF:/x/a.ts\nDA:1,1\nSF:/x/b.ts\nDA:1,1\nend_of_record\n",
            ":3: SF: inside the record for /x/a.ts begun at line 1: its end_of_record is missing",
        ),
    ];
    for (text, message) in cases {
        std::fs::write(&f.lcov, text).unwrap();
        let run = f.coverage(&["--base", "main"]);
        let expected = if text.is_empty() {
            format!("{} {message}", f.lcov)
        } else {
            format!("{}{message}", f.lcov)
        };
        assert_refused(&run, &f, &expected);
    }
    std::fs::remove_file(&f.lcov).unwrap();
    let run = f.coverage(&["--base", "main"]);
    assert_refused(&run, &f, &format!("cannot read {}", f.lcov));
}

#[test]
fn bad_options() {
    let f = fixture();
    let run = f.coverage(&["--path-prefix", "/home/runner"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("\"/home/runner\" is not FROM=TO"),
        "{}",
        run.all()
    );
    let run = f.coverage(&["--fail-under", "120"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("\"120\" is not a percentage from 0 to 100"),
        "{}",
        run.all()
    );
    assert!(f.nothing_written());
}

const TOKEN: &str = "ghs_CANARYcomment0123456789abcdefCANARY";
const READ_ONLY: &str = "ghs_READONLYcomment0123456789abcdefRO";
const MARKER: &str = "<!-- cargo xtask coverage: patch coverage summary -->";

/// The local GitHub holding pull request #7 of octo/kato, with a token granted
/// pull-requests: write and one that only reads.
fn github_with_pull_request(setup: impl FnOnce(&mut State)) -> FakeGitHub {
    let mut state = State::new();
    state.add_repo("octo", "kato");
    state.add_pull_request("octo", "kato", 7);
    state.add_token(TOKEN, Access::ReadOnlyIntegration);
    state.grant_pull_requests(TOKEN);
    state.add_token(READ_ONLY, Access::ReadOnlyIntegration);
    setup(&mut state);
    FakeGitHub::start(state)
}

/// A pull_request event payload for #7 of octo/kato, beside the fixture.
fn pull_request_event(f: &Fixture) -> Utf8PathBuf {
    let path = f.project.path().parent().unwrap().join("event.json");
    std::fs::write(
        &path,
        r#"{"action":"synchronize","number":7,"pull_request":{"number":7,"base":{"ref":"main","repo":{"full_name":"octo/kato"}}},"repository":{"full_name":"octo/kato"}}"#,
    )
    .unwrap();
    path
}

impl Fixture {
    /// `coverage --lcov ... --base main --comment` as the coverage job of a pull request
    /// runs it, against `github` with `token`.
    fn comment(&self, github: &FakeGitHub, token: Option<&str>, extra: &[&str]) -> Run {
        let out = out_dir(&self.project);
        let event = pull_request_event(self);
        let mut args = vec!["coverage", "--lcov", self.lcov.as_str(), "--base", "main"];
        args.extend_from_slice(&["--out", out.as_str(), "--comment"]);
        args.extend_from_slice(extra);
        let mut command = xtask(&args)
            .current_dir(self.project.path())
            .env("GITHUB_API_URL", github.url())
            .env("GITHUB_EVENT_PATH", event.as_str())
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_REPOSITORY", "octo/kato")
            .env("XTASK_GITHUB_RETRY_BASE_MS", "1");
        if let Some(token) = token {
            command = command.env("GITHUB_TOKEN", token);
        }
        let run = command.run();
        assert!(
            !run.all().contains(TOKEN),
            "the token is never printed\n{}",
            run.all()
        );
        run
    }
}

#[test]
fn the_summary_is_one_pull_request_comment_edited_in_place() {
    let f = fixture();
    // 120 comments before, one quoting the marker: the coverage comment is on page 2.
    let github = github_with_pull_request(|state| {
        for i in 0..120 {
            state.add_comment("octo", "kato", 7, "reviewer", &format!("comment {i}"));
        }
        state.add_comment(
            "octo",
            "kato",
            7,
            "reviewer",
            &format!("> {MARKER}\n> quoted"),
        );
    });
    let run = f.comment(&github, Some(TOKEN), &[]);
    assert_eq!(run.code, 1, "the gate decides: 80% < 85%\n{}", run.all());
    assert!(
        run.stderr.contains(
            "pull request comment: created https://github.com/octo/kato/pull/7#issuecomment-"
        ),
        "{}",
        run.all()
    );
    let comments = github.state().comments("octo", "kato", 7).to_vec();
    assert_eq!(comments.len(), 122);
    let ours = comments.last().unwrap();
    assert_eq!(ours.user, ACTIONS_BOT);
    let summary = std::fs::read_to_string(out_dir(&f.project).join("summary.md")).unwrap();
    assert!(
        ours.body.starts_with(&format!(
            "{MARKER}\n### ❌ Patch coverage 80.0% of 10 changed lines, below the gate of 85%"
        )),
        "{}",
        ours.body
    );
    assert!(
        ours.body.contains("| `src/a.ts` | 80.0% | 8/10 | 1-2 |"),
        "{}",
        ours.body
    );
    assert!(summary.contains("| `src/a.ts` | 80.0% | 8/10 | 1-2 |"));

    // The next run, with another gate, edits the same comment: never a second one.
    let run = f.comment(&github, Some(TOKEN), &["--fail-under", "80"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains(&format!(
            "pull request comment: updated https://github.com/octo/kato/pull/7#issuecomment-{}",
            ours.id
        )),
        "{}",
        run.all()
    );
    let after = github.state().comments("octo", "kato", 7).to_vec();
    assert_eq!(after.len(), 122);
    let edited = after.last().unwrap();
    assert_eq!((edited.id, edited.edits), (ours.id, 1));
    assert!(
        edited
            .body
            .contains("✅ Patch coverage 80.0% of 10 changed lines (gate 80%)"),
        "{}",
        edited.body
    );
    assert_eq!(
        after[..121],
        comments[..121],
        "the other comments are left as they were"
    );
    let posts = github
        .requests()
        .iter()
        .filter(|request| request.method == "POST")
        .count();
    assert_eq!(posts, 1);
}

#[test]
fn without_a_token_or_the_permission_it_warns_and_the_gate_decides() {
    let f = fixture();
    let github = github_with_pull_request(|_| {});
    let run = f.comment(&github, None, &["--fail-under", "80"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("warning: --comment: no GitHub token, so the summary was not written to the pull request: set GITHUB_TOKEN"),
        "{}",
        run.all()
    );
    assert!(github.requests().is_empty());

    let run = f.comment(&github, Some(READ_ONLY), &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("warning: --comment: the summary was not written to pull request #7 of octo/kato: POST /repos/octo/kato/issues/7/comments answered 403: Resource not accessible by integration (the token may not write pull requests: in a workflow, grant the job `permissions: pull-requests: write`"),
        "{}",
        run.all()
    );
    assert!(github.state().comments("octo", "kato", 7).is_empty());
    assert!(
        out_dir(&f.project).join("summary.md").is_file(),
        "the reports are written"
    );

    // Inside GitHub Actions the warning is an annotation too; an answer that echoes the
    // token shows it masked.
    github.state().add_fault(
        Fault::on("GET", "/repos/octo/kato/issues/7/comments")
            .status(403)
            .body(r#"{"message":"denied for {authorization}"}"#),
    );
    let run = {
        let out = out_dir(&f.project);
        let event = pull_request_event(&f);
        xtask(&[
            "coverage",
            "--lcov",
            f.lcov.as_str(),
            "--base",
            "main",
            "--out",
            out.as_str(),
            "--comment",
            "--json",
        ])
        .current_dir(f.project.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_API_URL", github.url())
        .env("GITHUB_EVENT_PATH", event.as_str())
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_REPOSITORY", "octo/kato")
        .env("GITHUB_TOKEN", TOKEN)
        .run()
    };
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(!run.all().contains(TOKEN), "{}", run.all());
    assert!(
        run.stderr.contains("denied for Bearer ***"),
        "{}",
        run.all()
    );
    assert!(
        run.stderr.contains(
            "::warning title=coverage --comment::the summary was not written to pull request #7"
        ),
        "{}",
        run.all()
    );
    json(&run);
}

#[test]
fn outside_a_pull_request_it_notes_that_no_comment_was_written() {
    let f = fixture();
    let github = github_with_pull_request(|_| {});
    let out = out_dir(&f.project);
    let base = [
        "coverage",
        "--lcov",
        f.lcov.as_str(),
        "--base",
        "main",
        "--out",
        out.as_str(),
        "--comment",
        "--fail-under",
        "80",
    ];
    let run = xtask(&base).current_dir(f.project.path()).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr
            .contains("note: --comment: not in a pull request (GITHUB_EVENT_PATH is not set"),
        "{}",
        run.all()
    );
    let push = f.project.path().parent().unwrap().join("push.json");
    std::fs::write(
        &push,
        r#"{"ref":"refs/heads/main","repository":{"full_name":"octo/kato"}}"#,
    )
    .unwrap();
    let run = xtask(&base)
        .current_dir(f.project.path())
        .env("GITHUB_EVENT_PATH", push.as_str())
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_API_URL", github.url())
        .env("GITHUB_TOKEN", TOKEN)
        .run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("note: --comment: the push event of this run is not a pull request, so no comment was written"),
        "{}",
        run.all()
    );
    assert!(github.requests().is_empty());
}

#[test]
fn an_event_that_cannot_be_read_is_refused_before_anything_runs() {
    let f = fixture();
    let dir = f.project.path().parent().unwrap();
    let missing = dir.join("missing.json");
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "{ nope").unwrap();
    let no_number = dir.join("no-number.json");
    std::fs::write(&no_number, r#"{"pull_request":{"title":"x"}}"#).unwrap();
    for (path, message) in [
        (
            &missing,
            format!("--comment: cannot read GITHUB_EVENT_PATH={missing}"),
        ),
        (
            &not_json,
            format!("--comment: GITHUB_EVENT_PATH={not_json} is not an event payload (not JSON:"),
        ),
        (
            &no_number,
            format!(
                "--comment: GITHUB_EVENT_PATH={no_number} is not a pull request event: it has no pull_request.number (GITHUB_EVENT_NAME is pull_request)"
            ),
        ),
    ] {
        let out = out_dir(&f.project);
        let run = xtask(&[
            "coverage",
            "--lcov",
            f.lcov.as_str(),
            "--base",
            "main",
            "--out",
            out.as_str(),
            "--comment",
        ])
        .current_dir(f.project.path())
        .env("GITHUB_EVENT_PATH", path.as_str())
        .env("GITHUB_EVENT_NAME", "pull_request")
        .run();
        assert_refused(&run, &f, &message);
    }
}

#[test]
fn a_create_that_failed_on_githubs_side_is_retried_once_it_is_known_not_to_exist() {
    let f = fixture();
    let github = github_with_pull_request(|state| {
        state.add_fault(
            Fault::on("POST", "/repos/octo/kato/issues/7/comments")
                .status(502)
                .times(2),
        );
    });
    let run = f.comment(&github, Some(TOKEN), &["--fail-under", "80"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("pull request comment: created"),
        "{}",
        run.all()
    );
    assert_eq!(github.state().comments("octo", "kato", 7).len(), 1);
    let calls: Vec<String> = github
        .requests()
        .iter()
        .map(|request| format!("{} {}", request.method, request.status))
        .collect();
    // Each attempt first looks for the comment a failed one may have made.
    assert_eq!(
        calls,
        [
            "GET 200", "POST 502", "GET 200", "POST 502", "GET 200", "POST 201"
        ]
    );
}
