//! `cargo xtask coverage`: patch coverage gate and overall coverage trend.

mod terminal;

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use atomic_write::PendingFile;
use camino::{Utf8Path, Utf8PathBuf};
use coverage_export::reports::{Report, json_report, markdown_summary};
use coverage_export::{
    Analysis, Inputs, PrefixRemap, Repository, Scope, analyze, line_ranges, stage_coverage_files,
    write_outputs,
};
use deno_runner::{DenoProject, Invocation, coverage_gates};
use github_actions::{Actions, Annotation, Level};

use crate::context::{self, ProjectArgs, absolute, current_dir};
use crate::output::Stream;

/// Measure patch coverage (the changed lines) and gate on it; report overall coverage.
///
/// Without --lcov: runs the test gates of `cargo xtask ci` (the project's tasks.ci, else
/// `deno test --frozen`) exactly, each with --coverage, and exports lcov with `deno
/// coverage --lcov`. With --lcov: uses that file, on any git repository.
///
/// Changed lines are those of `BASE...HEAD` (from the merge-base of the base and HEAD)
/// plus staged and unstaged changes, as diff-cover counts them. A changed line counts when
/// the report measures it (a DA entry; a BRDA or FN entry where there is no DA, as
/// diff-cover reads lcov); it is covered when it ran. The gate passes when
/// covered / measured reaches --fail-under, or when no changed line is measured. Overall
/// coverage is reported, never gated.
///
/// Writes lcov.info, cobertura.xml, coverage.json, summary.md, badge.svg and badge.json
/// into --out. Inside GitHub Actions: the summary goes to $GITHUB_STEP_SUMMARY, changed
/// lines that did not run become ::warning annotations, and `patch` / `overall`
/// percentages go to $GITHUB_OUTPUT.
///
/// Exit status: 0 gate passed, 1 gate failed (or the tests failed), 2 bad input.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: ProjectArgs,

    /// An existing lcov file: compute from it instead of running the tests.
    #[arg(long, value_name = "FILE", conflicts_with = "project")]
    lcov: Option<Utf8PathBuf>,

    /// The base ref. Default: origin/$GITHUB_BASE_REF in a pull request workflow, else
    /// origin/main where it exists, else main.
    #[arg(long, value_name = "REF", env = "XTASK_COVERAGE_BASE")]
    base: Option<String>,

    /// The git repository the report's files belong to. Default: the one holding the
    /// project (without --lcov) or the current directory (with --lcov).
    #[arg(long, value_name = "DIR")]
    repo: Option<Utf8PathBuf>,

    /// The patch coverage gate, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 85.0, env = "XTASK_COVERAGE_FAIL_UNDER",
          value_parser = parse_percent)]
    fail_under: f64,

    /// Read SF: paths starting with FROM as starting with TO (an absolute path or one
    /// relative to the repository root), for lcov made on another machine, e.g.
    /// /home/runner/work/kato/kato=. Repeatable; the first match wins.
    #[arg(long = "path-prefix", value_name = "FROM=TO")]
    path_prefix: Vec<PrefixRemap>,

    /// Leave staged changes out.
    #[arg(long)]
    ignore_staged: bool,

    /// Leave unstaged changes in the working tree out.
    #[arg(long)]
    ignore_unstaged: bool,

    /// Where the report files go.
    #[arg(long, value_name = "DIR", default_value_t = default_out())]
    out: Utf8PathBuf,

    /// Print the JSON report on stdout (and nothing else there).
    #[arg(long)]
    json: bool,
}

fn default_out() -> Utf8PathBuf {
    context::repo_root().join("target/coverage")
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("{text:?} is not a percentage from 0 to 100")),
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let stream = Stream::beside_json(args.json);
    let out = absolute(&args.out)?;
    let project = match args.lcov {
        Some(_) => None,
        None => Some(args.project.open()?),
    };
    let repo = open_repo(args.repo.as_deref(), project.as_ref())?;
    // Checked before the tests run: a bad base should not cost a test run to find out.
    let range = repo.range(&base_ref(args, &repo)?)?;
    let lcov = match (&args.lcov, &project) {
        (Some(lcov), _) => absolute(lcov)?,
        (None, Some(project)) => match run_tests_with_coverage(project, &out, stream)? {
            Some(lcov) => lcov,
            None => return Ok(ExitCode::from(1)),
        },
        (None, None) => unreachable!("a project is opened when there is no --lcov"),
    };
    let scope = Scope {
        staged: !args.ignore_staged,
        unstaged: !args.ignore_unstaged,
    };
    let inputs = Inputs {
        lcov: &lcov,
        repo: &repo,
        range: &range,
        scope,
        remaps: args.path_prefix.clone(),
    };
    let (analysis, staged) = analyze(&inputs, |coverage| {
        stage_coverage_files(&out, coverage, repo.root())
    })?;
    let lcov_name = lcov.to_string();
    let report = Report {
        lcov: &lcov_name,
        diff_name: range.describe(scope),
        threshold: args.fail_under,
        patch: &analysis.patch,
        overall: analysis.overall,
        outside: &analysis.coverage.outside,
    };
    write_outputs(&out, &report, staged)?;

    if let Some(actions) = Actions::from_env() {
        tell_github(&actions, &report, &analysis, repo.root(), stream)?;
    }
    if args.json {
        let json = serde_json::to_string_pretty(&json_report(&report))?;
        Stream::Stdout.write(&format!("{json}\n"));
    } else {
        Stream::Stdout.write(&terminal::table(&report, &out));
    }
    Ok(if report.verdict().passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The test gates with coverage, then `deno coverage --lcov` of their profiles. `None`
/// when the tests failed.
fn run_tests_with_coverage(
    project: &DenoProject,
    out: &Utf8Path,
    stream: Stream,
) -> Result<Option<Utf8PathBuf>> {
    let deno = context::deno()?;
    let profiles = out.join("deno-profile");
    if profiles.exists() {
        std::fs::remove_dir_all(&profiles).with_context(|| format!("cannot clear {profiles}"))?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {out}"))?;
    let gates = coverage_gates(project, &profiles)?;
    if gates.is_empty() {
        bail!(
            "the gate of {} has no deno test command, so there is no coverage to measure",
            project.config_path()
        );
    }
    for (gate, _) in &gates {
        eprintln!("running {}: {}", gate.name, gate.command);
        let tested = deno.run(&gate.invocation)?;
        if !tested.success() {
            stream.write(&tested.output);
            eprintln!(
                "error: the tests failed, so coverage was not measured (the {} gate: `{}`)",
                gate.name, gate.command
            );
            return Ok(None);
        }
    }
    // deno writes its export under a temporary name, put in place only when it succeeded.
    let lcov = PendingFile::new(&out.join("deno.lcov"))
        .with_context(|| format!("cannot write into {out}"))?;
    let dirs: Vec<Utf8PathBuf> = gates.into_iter().map(|(_, dir)| dir).collect();
    let export = Invocation::coverage_lcov(project.dir(), &dirs, lcov.temp_path());
    let exported = deno.run(&export)?;
    if !exported.success() {
        bail!("`{}` failed:\n{}", export, exported.output);
    }
    let path = lcov.path().to_owned();
    lcov.commit()
        .with_context(|| format!("cannot put deno's lcov export in place as {path}"))?;
    Ok(Some(path))
}

/// `--repo`, else the repository holding the project, else the current directory's.
fn open_repo(repo: Option<&Utf8Path>, project: Option<&DenoProject>) -> Result<Repository> {
    let dir = match (repo, project) {
        (Some(dir), _) => absolute(dir)?,
        (None, Some(project)) => project.dir().to_owned(),
        (None, None) => current_dir()?,
    };
    if !dir.is_dir() {
        bail!("--repo {dir}: no such directory");
    }
    Ok(Repository::discover(&dir)?)
}

/// `--base`, else the pull request's base branch in GitHub Actions, else `origin/main`
/// where it exists, else `main`.
fn base_ref(args: &Args, repo: &Repository) -> Result<String> {
    if let Some(base) = &args.base {
        return Ok(base.clone());
    }
    if let Ok(branch) = std::env::var("GITHUB_BASE_REF")
        && !branch.is_empty()
    {
        return Ok(format!("origin/{branch}"));
    }
    Ok(repo.default_base()?)
}

/// Step summary, one warning per uncovered range of changed lines, and outputs.
fn tell_github(
    actions: &Actions,
    report: &Report,
    analysis: &Analysis,
    root: &Utf8Path,
    stream: Stream,
) -> Result<()> {
    // GitHub shows a few annotations per step; the rest would only be noise in the log.
    const MAX_ANNOTATIONS: usize = 50;
    let mut annotations = String::new();
    let ranges = analysis.patch.files.iter().flat_map(|file| {
        line_ranges(&file.violation_lines)
            .into_iter()
            .map(move |range| (file, range))
    });
    for (file, (start, end)) in ranges.take(MAX_ANNOTATIONS) {
        let annotation = Annotation {
            level: Level::Warning,
            file: Some(actions.annotation_path(&root.join(&file.path)).to_owned()),
            line: Some(start),
            end_line: Some(end),
            column: None,
            title: Some("Changed lines not covered by tests".to_owned()),
            message: if start == end {
                format!("Line {start} is changed and no test runs it.")
            } else {
                format!("Lines {start}-{end} are changed and no test runs them.")
            },
        };
        annotations.push_str(&format!("{annotation}\n"));
    }
    stream.write(&annotations);
    actions.append_summary(&markdown_summary(report))?;
    let percent = |p: Option<f64>| p.map_or(String::new(), |p| format!("{p:.2}"));
    actions.set_output("patch", &percent(report.patch.percent()))?;
    actions.set_output("overall", &percent(report.overall.line_percent()))?;
    Ok(())
}
