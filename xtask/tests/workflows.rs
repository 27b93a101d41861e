//! `cargo xtask workflows check` on the repository's own .github/ and on broken copies.

mod support;

use camino::Utf8Path;
use support::{Project, Run, repo_root, xtask};

#[test]
fn the_repositorys_workflows_pass_every_check() {
    let run = xtask(&["workflows", "check"]).run();
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("workflow rules: 0 finding(s)"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("actionlint 1.17.0: clean"),
        "{}",
        run.all()
    );
    assert!(run.stdout.contains("zizmor 1.32.0: clean"), "{}", run.all());
}

/// `cargo xtask workflows check --rules-only --dir <github>`.
fn rules_only(github: &Project) -> Run {
    xtask(&[
        "workflows",
        "check",
        "--rules-only",
        "--dir",
        github.path().as_str(),
    ])
    .run()
}

fn copy_of_github() -> Project {
    let project = Project::empty();
    for entry in repo_root()
        .join(".github/workflows")
        .read_dir_utf8()
        .unwrap()
    {
        let entry = entry.unwrap();
        project.write(
            &format!("workflows/{}", entry.file_name()),
            &std::fs::read_to_string(entry.path()).unwrap(),
        );
    }
    project.write(
        "dependabot.yml",
        &std::fs::read_to_string(repo_root().join(".github/dependabot.yml")).unwrap(),
    );
    project
}

#[test]
fn a_broken_workflow_is_named_by_file_job_and_step() {
    let github = copy_of_github();
    let ci =
        github
            .read("workflows/ci.yml")
            .replacen("run: cargo xtask ci", "run: deno task ci", 1);
    github.write("workflows/ci.yml", &ci);
    let run = xtask(&["workflows", "check", "--dir", github.path().as_str()]).run();
    assert_eq!(run.code, 1, "{}", run.all());
    let file = github.path().join("workflows/ci.yml");
    assert!(
        run.stdout.contains(&format!("{file}:50: job gate, step #4: `deno task ci` is neither a cargo xtask call nor a set-up line")),
        "{}",
        run.all()
    );
}

#[test]
fn an_unknown_task_in_a_workflow_is_a_finding() {
    let github = copy_of_github();
    let ci = github.read("workflows/ci.yml").replacen(
        "run: cargo xtask ci",
        "run: cargo xtask ci --everything",
        1,
    );
    github.write("workflows/ci.yml", &ci);
    let run = rules_only(&github);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("`cargo xtask ci --everything` is not a call this xtask accepts: unexpected argument '--everything'"), "{}", run.all());
}

#[test]
fn a_missing_directory_or_a_file_that_is_not_yaml() {
    let run = xtask(&["workflows", "check", "--dir", "/nonexistent/.github"]).run();
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("cannot read /nonexistent/.github/workflows"),
        "{}",
        run.all()
    );
    let github = copy_of_github();
    github.write("workflows/broken.yml", "jobs: [\n");
    let run = rules_only(&github);
    assert_eq!(run.code, 2, "{}", run.all());
    let file = Utf8Path::new(github.path().as_str()).join("workflows/broken.yml");
    assert!(
        run.stderr.contains(&format!("{file}: not valid YAML")),
        "{}",
        run.all()
    );
}
