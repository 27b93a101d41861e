//! The named steps of a release; `release.rs` composes them.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use deno_runner::{App, Deno};
use github_actions::Actions;
use indicatif::{ProgressBar, ProgressStyle};
use release_publisher::{
    AppPolicyError, ArtifactFile, Audited, BuildEvent, BuildMachine, BuildPlan, Built,
    ReleasePolicy, SHA256SUMS, TypeCheckFailed, audit_files, build, write_sha256sums,
};
use semver::Version;
use version_check::VersionError;
// What the steps of the flows that talk to GitHub use besides.
#[cfg(feature = "github")]
use {
    deno_runner::DenoProject,
    release_publisher::{LocalAsset, Target},
    std::time::Instant,
    version_check::{ReleaseFacts, Repository, check_declared, short_commit},
};

use crate::failure::{check_failed, problems};
use crate::output::Stream;

/// The requested version is the one in the app's deno.json(c).
#[cfg(feature = "github")]
pub fn check_version(app: &App, version: &Version) -> Result<()> {
    check_declared(version, app.version(), app.config_path())
        .map(drop)
        .map_err(version_error)
}

/// The version in the app's deno.json(c), for a build without a requested version.
pub fn declared_version(app: &App) -> Result<Version> {
    version_check::parse_declared(app.version(), app.config_path()).map_err(version_error)
}

fn version_error(error: VersionError) -> anyhow::Error {
    if error.is_bad_input() {
        error.into()
    } else {
        check_failed(error)
    }
}

/// The release policy of the app (see [`ReleasePolicy::of_app`]); a refused one is a
/// failed check (exit status 1), a missing one bad input.
pub fn policy(app: &App, name: Option<&str>, machine: &BuildMachine) -> Result<ReleasePolicy> {
    ReleasePolicy::of_app(app, name, machine).map_err(|error| match error {
        AppPolicyError::Refused { .. } => check_failed(error),
        AppPolicyError::NoSet { .. } => error.into(),
    })
}

/// The preflight of releasing `reference` as `tag`; returns the commit released.
#[cfg(feature = "github")]
pub fn preflight(
    project: &DenoProject,
    reference: &str,
    main_branch: &str,
    tag: &str,
) -> Result<String> {
    let repo = Repository::open(project.dir())?;
    let facts = ReleaseFacts::gather(&repo, reference, main_branch, Some(tag))?;
    let found = facts.problems();
    if !found.is_empty() {
        return Err(problems(
            &format!(
                "the preflight of {tag} failed in {} (nothing was compiled):",
                repo.root()
            ),
            &found,
        ));
    }
    let commit = facts
        .ref_commit
        .expect("no problems means the ref resolved");
    let main = facts.main.expect("no problems means a main branch");
    eprintln!(
        "preflight: {reference} is {} on {}, the tree is clean, {tag} is {}",
        short_commit(&commit),
        main.name,
        if facts.tag.and_then(|t| t.commit).is_some() {
            "already at it"
        } else {
            "not taken"
        }
    );
    Ok(commit)
}

/// The ci gate, as `cargo xtask ci` runs it, stopping at the first failure.
#[cfg(feature = "github")]
pub fn ci_gate(project: &DenoProject, deno: &Deno, started: Instant) -> Result<()> {
    if crate::ci::gate(project, deno, true, false, started)? {
        Ok(())
    } else {
        Err(check_failed(
            "the ci gate failed (see above): nothing was compiled",
        ))
    }
}

/// Compiled artifacts, not audited yet: a stop (SIGINT/SIGTERM) removes them, until
/// [`audit_and_checksum`] has written SHA256SUMS.
#[derive(Debug)]
pub struct Compiled {
    built: Vec<Built>,
    _unaudited: Vec<interrupt::Removal>,
}

/// Runs the compiles, `jobs` at a time (default: one per core), showing progress.
pub fn compile(deno: &Deno, plan: &BuildPlan, jobs: Option<u32>) -> Result<Compiled> {
    let unaudited = plan
        .artifacts
        .iter()
        .map(|artifact| interrupt::remove_on_stop(&artifact.path))
        .collect::<std::io::Result<_>>()
        .context("nothing was compiled")?;
    let jobs = match jobs {
        Some(jobs) => jobs as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let flags = &plan.artifacts[0].invocation.args;
    eprintln!(
        "compiling {} artifacts into {}, {jobs} at a time, with {}",
        plan.artifacts.len(),
        plan.out_dir,
        flags
            .iter()
            .filter(|a| a.starts_with("--allow") || *a == "--no-prompt")
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    );
    let progress = Progress::new(plan.artifacts.len());
    let built = build(deno, plan, jobs, |event| progress.event(&event));
    progress.bar.finish_and_clear();
    let built = built.map_err(|error| match error.downcast::<TypeCheckFailed>() {
        Ok(failed) => check_failed(failed),
        Err(error) => error,
    })?;
    let failed: Vec<String> = built
        .iter()
        .filter(|b| !b.completed.success())
        .map(|b| {
            format!(
                "{} ({}): `{}` failed ({}):\n{}",
                b.artifact.name,
                b.artifact.target.triple,
                b.completed.invocation,
                b.completed.status,
                b.completed.output.trim()
            )
        })
        .collect();
    if !failed.is_empty() {
        // Without DENORT_BIN deno downloads each target's base runtime: offline, that is
        // the usual reason.
        let downloads = built.iter().any(|b| {
            !b.completed.success() && !b.artifact.invocation.env.contains_key("DENORT_BIN")
        });
        let hint = if downloads {
            " deno downloads the base runtime of each target: offline, pass --denort-dir."
        } else {
            ""
        };
        bail!(
            "{} of {} compiles failed.{hint}\n{}",
            failed.len(),
            built.len(),
            failed.join("\n")
        );
    }
    Ok(Compiled {
        built,
        _unaudited: unaudited,
    })
}

struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(len: usize) -> Self {
        let bar = ProgressBar::new(len as u64);
        if !bar.is_hidden() {
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] compiling {msg} [{elapsed}]")
                    .expect("the template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        Self { bar }
    }

    fn event(&self, event: &BuildEvent) {
        match event {
            BuildEvent::Started(artifact) => {
                self.bar.set_message(artifact.name.clone());
                self.line(format!(
                    "compiling {} ({})",
                    artifact.name, artifact.target.triple
                ));
            }
            BuildEvent::Finished(artifact, completed) => {
                self.bar.inc(1);
                let verdict = if completed.success() {
                    "built"
                } else {
                    "FAILED"
                };
                self.line(format!(
                    "{verdict} {} in {:.1}s",
                    artifact.name,
                    completed.duration.as_secs_f64()
                ));
            }
        }
    }

    /// A line above the bar, or on its own when there is no terminal (CI logs).
    fn line(&self, text: String) {
        if self.bar.is_hidden() {
            eprintln!("{text}");
        } else {
            self.bar.println(text);
        }
    }
}

/// Audits every artifact and computes its checksum, side by side; writes SHA256SUMS
/// when all pass. An artifact that fails is removed so that it cannot be published;
/// the others stay, and no SHA256SUMS is written.
pub fn audit_and_checksum(
    plan: &BuildPlan,
    compiled: Compiled,
    policy: &ReleasePolicy,
    machine: &BuildMachine,
) -> Result<Vec<Audited>> {
    let files: Vec<ArtifactFile> = compiled
        .built
        .iter()
        .map(|b| ArtifactFile {
            name: &b.artifact.name,
            path: &b.artifact.path,
            target: b.artifact.target,
        })
        .collect();
    let audited = audit_files(&files, policy, machine);
    let mut findings = Vec::new();
    for refused in audited.iter().filter(|a| !a.findings.is_empty()) {
        findings.extend(refused.findings.iter().cloned());
        match std::fs::remove_file(&refused.path) {
            Ok(()) => {}
            // Unreadable because it is gone: nothing is left to publish.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => findings.push(format!(
                "{}: cannot remove the refused {}: {error}",
                refused.name, refused.path
            )),
        }
    }
    if !findings.is_empty() {
        return Err(problems(
            &format!(
                "the audit refused the artifacts below, removed them so that they cannot be \
                 published, and left the others in {}:",
                plan.out_dir
            ),
            &findings,
        ));
    }
    let sums: Vec<(String, String)> = audited
        .iter()
        .map(|a| (a.name.clone(), a.sha256.clone()))
        .collect();
    write_sha256sums(&plan.out_dir, &sums)
        .with_context(|| format!("cannot write {}/{SHA256SUMS}", plan.out_dir))?;
    Ok(audited)
}

/// The audit of artifacts gathered for publishing, before anything is asked of GitHub:
/// each must be a binary of its target with exactly the policy's permissions, as
/// `release build` checks. Nothing is removed: the files are the caller's.
#[cfg(feature = "github")]
pub fn audit_gathered(
    assets: &[LocalAsset],
    targets: &[&'static Target],
    bin: &str,
    policy: &ReleasePolicy,
    machine: &BuildMachine,
) -> Result<()> {
    let files: Vec<ArtifactFile> = targets
        .iter()
        .filter_map(|&target| {
            let name = target.artifact_name(bin);
            let asset = assets.iter().find(|a| a.name == name)?;
            Some(ArtifactFile {
                name: &asset.name,
                path: &asset.path,
                target,
            })
        })
        .collect();
    let audited = audit_files(&files, policy, machine);
    let findings: Vec<&String> = audited.iter().flat_map(|a| &a.findings).collect();
    if !findings.is_empty() {
        // Refused before any change: exit status 2, as every refusal of `release publish`.
        let listed: Vec<String> = findings.iter().map(|f| format!("\n  - {f}")).collect();
        bail!(
            "the audit refused the artifacts below against {} (nothing was published):{}",
            policy.source,
            listed.concat()
        );
    }
    eprintln!(
        "audit: {} artifacts are their targets' binaries with the permissions of {}{}",
        audited.len(),
        policy.source,
        whole_note(policy)
    );
    Ok(())
}

/// `; read granted whole, as declared`, for the kinds the policy grants whole.
fn whole_note(policy: &ReleasePolicy) -> String {
    let whole = policy.whole();
    if whole.is_empty() {
        return String::new();
    }
    let kinds: Vec<&str> = whole.iter().map(|k| k.as_str()).collect();
    format!(
        "; {} granted whole, as declared (xtask.release.grantWhole)",
        kinds.join(", ")
    )
}

/// Prints the artifacts; inside GitHub Actions also the step summary and outputs.
pub fn report(plan: &BuildPlan, policy: &ReleasePolicy, artifacts: &[Audited]) -> Result<()> {
    let mut text = format!(
        "{} artifacts passed the audit against {}{}, in {}:\n",
        artifacts.len(),
        policy.source,
        whole_note(policy),
        plan.out_dir
    );
    for a in artifacts {
        text.push_str(&format!(
            "  {:<26} {:<26} {:>6.1} MB  sha256 {}\n",
            a.name,
            a.target.triple,
            a.size as f64 / 1e6,
            a.sha256
        ));
    }
    text.push_str(&format!(
        "  {SHA256SUMS} (check with: sha256sum -c {SHA256SUMS})\n"
    ));
    Stream::Stdout.write(&text);
    if let Some(actions) = Actions::from_env() {
        let mut markdown =
            String::from("| artifact | target | size | sha256 |\n| --- | --- | ---: | --- |\n");
        for a in artifacts {
            markdown.push_str(&format!(
                "| {} | {} | {:.1} MB | `{}` |\n",
                a.name,
                a.target.triple,
                a.size as f64 / 1e6,
                a.sha256
            ));
        }
        actions.append_summary(&markdown)?;
        if let [only] = artifacts {
            actions.set_output("artifact", only.path.as_str())?;
        }
        let paths: Vec<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
        actions.set_output("artifacts", &paths.join("\n"))?;
        actions.set_output("dir", plan.out_dir.as_str())?;
    }
    Ok(())
}

/// Prints the matrix (`--json`) or a table of targets and the compile flags.
pub fn print_matrix(app: &App, plan: &BuildPlan, policy: &ReleasePolicy, json: bool) -> Result<()> {
    let matrix = plan.matrix();
    if json {
        let plan = serde_json::json!({
            "project": app.root().dir(),
            "app": app.dir(),
            "version": app.version(),
            "compile_flags": policy.compile_flags(),
            "matrix": matrix,
        });
        Stream::Stdout.write(&format!("{plan:#}\n"));
    } else {
        let mut text = format!("{:<26} {:<26} {}\n", "target", "artifact", "runner");
        for artifact in &plan.artifacts {
            text.push_str(&format!(
                "{:<26} {:<26} {}\n",
                artifact.target.triple, artifact.name, artifact.target.runner
            ));
        }
        text.push_str(&format!(
            "deno compile flags from {}: {}\n",
            policy.source,
            policy.compile_flags().join(" ")
        ));
        Stream::Stdout.write(&text);
    }
    if let Some(actions) = Actions::from_env() {
        actions.set_output("matrix", &matrix.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use camino::Utf8Path;
    use deno_runner::DenoProject;
    use deno_runner::{CompileOptions, Invocation, default_cache_dir};
    use release_publisher::{
        BuildOptions, Grant, Kind, TARGETS, Target, base_runtime, build, plan_build,
    };

    use super::*;
    use crate::context;
    use crate::failure::exit_status;

    /// A small project built for four targets with its policy, with deno and the npm deno
    /// builds standing in for denort; then one artifact recompiled with -A and one gone.
    #[test]
    fn every_artifact_is_audited_and_every_refused_one_removed_past_an_unreadable_one() {
        let deno = context::deno().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let project_dir = root.join("daemon");
        std::fs::create_dir(&project_dir).unwrap();
        std::fs::write(
            project_dir.join("deno.json"),
            r#"{ "name": "@kato/daemon", "version": "0.1.0", "exports": "./main.ts", "lock": false }"#,
        )
        .unwrap();
        std::fs::write(project_dir.join("main.ts"), "console.log(\"kato\");\n").unwrap();
        let project = App::open(DenoProject::open(&project_dir).unwrap(), None).unwrap();
        let policy = ReleasePolicy {
            source: "permissions.default".into(),
            grants: BTreeMap::from([(Kind::Read, Grant::Values(vec!["/etc/kato".into()]))]),
        };
        let machine = BuildMachine {
            workspaces: vec![project_dir.clone()],
            homes: vec![],
        };
        let targets: Vec<&'static Target> = TARGETS
            .iter()
            .filter(|t| t.triple != "x86_64-apple-darwin")
            .collect();
        let triples: Vec<&str> = targets.iter().map(|t| t.triple).collect();
        let version = deno.version().to_string();
        let denort =
            npm_denort::provision(&default_cache_dir().unwrap(), &version, &triples).unwrap();
        let options = BuildOptions {
            bin: "kato".into(),
            out_dir: root.join("dist"),
            base_runtimes: triples
                .iter()
                .map(|t| (t.to_string(), base_runtime(&denort, t).unwrap()))
                .collect(),
            targets,
        };
        let plan = plan_build(&project, &policy, &options).unwrap();
        let built = build(&deno, &plan, 2, |_| {}).unwrap();
        assert!(built.iter().all(|b| b.completed.success()));
        let out = &plan.out_dir;
        // The first artifact cannot be read; one audited after it grants everything.
        std::fs::remove_file(out.join("kato-linux-x86_64")).unwrap();
        let all = deno
            .run(&Invocation::compile(
                &project_dir,
                &CompileOptions {
                    target: "aarch64-apple-darwin".into(),
                    output: out.join("kato-darwin-arm64"),
                    permission_flags: vec!["-A".into()],
                    entry: "./main.ts".into(),
                    denort_bin: Some(base_runtime(&denort, "aarch64-apple-darwin").unwrap()),
                    no_check: true,
                    frozen: false,
                },
            ))
            .unwrap();
        assert!(all.success(), "{}", all.output);

        let compiled = Compiled {
            built,
            _unaudited: Vec::new(),
        };
        let error = audit_and_checksum(&plan, compiled, &policy, &machine).unwrap_err();
        let message = format!("{error:#}");
        assert_eq!(exit_status(&error), 1, "{message}");
        assert!(
            message.contains(&format!(
                "\n  - kato-linux-x86_64: cannot read {out}/kato-linux-x86_64: "
            )),
            "{message}"
        );
        assert!(
            message.contains(
                "\n  - kato-darwin-arm64: it grants everything: allow_read, allow_write, \
                 allow_net, allow_env, allow_run, allow_sys, allow_ffi, allow_import are []"
            ),
            "{message}"
        );
        assert_eq!(message.matches("\n  - ").count(), 2, "{message}");
        let mut left: Vec<String> = out
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["kato-linux-aarch64", "kato-windows-x86_64.exe"]);
    }
}
