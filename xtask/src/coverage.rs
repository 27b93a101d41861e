//! `cargo xtask coverage`: patch coverage gate and overall coverage trend.

#[cfg(feature = "github")]
mod comment;
mod filter;

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use atomic_write::PendingFile;
use camino::{Utf8Path, Utf8PathBuf};
use coverage_export::reports::{
    HtmlLink, Report, Sources, json_report, markdown_summary, terminal_table,
};
use coverage_export::{
    Analysis, Glob, Inputs, PrefixRemap, Repository, Scope, analyze, line_ranges,
    stage_coverage_files, write_outputs,
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
/// plus staged and unstaged changes, as diff-cover counts them. Before diffing, the index's
/// record of the files' sizes and times is refreshed, as `git status` does (not with
/// GIT_OPTIONAL_LOCKS=0). A changed line counts when
/// the report measures it (a DA entry; a BRDA or FN entry where there is no DA, as
/// diff-cover reads lcov); it is covered when it ran. The gate passes when
/// covered / measured reaches --fail-under, or when no changed line is measured. Overall
/// coverage is reported, never gated.
///
/// --include / --exclude choose the files that count, for both figures, with diff-cover's
/// semantics; without them, the project's deno.json may hold them, relative to its
/// directory: `"xtask": { "coverage": { "include": ["src/**"], "exclude": ["**/*_test.ts"] } }`
/// (deno's own `coverage` key takes only `thresholds`). With --lcov, deno.json is read only
/// when --project names the project.
///
/// Writes lcov.info, cobertura.xml, coverage.json, summary.md, badge.svg, badge.json and
/// the HTML report (html/index.html, with a page per file, the changed ones first, up to
/// 500) into --out. Inside GitHub Actions: the summary goes to $GITHUB_STEP_SUMMARY (and,
/// with --comment, to the pull request), changed lines that did not run become ::warning
/// annotations, and `patch` / `overall` percentages go to $GITHUB_OUTPUT.
///
/// Exit status: 0 gate passed, 1 gate failed (or the tests failed), 2 bad input.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: ProjectArgs,

    /// An existing lcov file: compute from it instead of running the tests.
    #[arg(long, value_name = "FILE")]
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

    /// Count only the files this glob matches (repeatable: any of them), for the changed
    /// lines and the overall figures alike, as diff-cover's --include: a path from the
    /// repository root where `*`, `?` and `[...]` stay within one directory and `**`
    /// spans any number of them, e.g. 'src/**/*.ts'. Replaces the include list of the
    /// project's deno.json (`"xtask": {"coverage": {"include": [...]}}`).
    #[arg(long, value_name = "GLOB")]
    include: Vec<Glob>,

    /// Leave out the files this pattern matches (repeatable), for the changed lines and
    /// the overall figures alike, as diff-cover's --exclude: matched against the file's
    /// name, its path from the repository root and its absolute path, `*` also across
    /// directories, e.g. '*_test.ts' or 'src/generated/*'. Replaces the exclude list of
    /// the project's deno.json.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<Glob>,

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

    /// In a pull request (GITHUB_EVENT_PATH names its event), write the summary as a
    /// comment on it: one comment, found again by a hidden marker and edited on every
    /// run. Needs GITHUB_TOKEN with `pull-requests: write`; without it, or when GitHub
    /// refuses, a warning, and the gate still decides. Outside a pull request, a note.
    #[arg(long)]
    comment: bool,
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
    #[cfg(not(feature = "github"))]
    if args.comment {
        return crate::with_github::run();
    }
    let stream = Stream::beside_json(args.json);
    let out = absolute(&args.out)?;
    let project = match args.lcov {
        Some(_) => None,
        None => Some(args.project.open()?),
    };
    let repo = open_repo(args.repo.as_deref(), project.as_ref())?;
    // Checked before the tests run: bad input should not cost a test run to find out.
    let range = repo.range(&base_ref(args, &repo)?)?;
    let configured = match &project {
        Some(project) => Some(project.clone()),
        // With --lcov, deno.json's patterns apply only to a project named with --project
        // (or XTASK_PROJECT).
        None => args.project.open_if_named()?,
    };
    #[cfg(feature = "github")]
    let comment = args.comment.then(comment::target).transpose()?;
    let filter = filter::file_filter(
        &args.include,
        &args.exclude,
        configured.as_ref(),
        repo.root(),
    )?;
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
        filter,
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
        filter: &inputs.filter,
        filtered_out: &analysis.coverage.filtered_out,
    };
    let sources = Sources {
        coverage: &analysis.coverage,
        changed: &analysis.changed,
        root: repo.root(),
    };
    write_outputs(&out, &report, &sources, staged)?;

    if let Some(actions) = Actions::from_env() {
        tell_github(&actions, &report, &analysis, repo.root(), stream)?;
    }
    #[cfg(feature = "github")]
    if let Some(target) = &comment {
        comment::post(target, &markdown_summary(&report, html_link()), stream);
    }
    if args.json {
        let json = serde_json::to_string_pretty(&json_report(&report))?;
        Stream::Stdout.write(&format!("{json}\n"));
    } else {
        Stream::Stdout.write(&terminal_table(&report, &out));
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
    actions.append_summary(&markdown_summary(report, html_link()))?;
    let percent = |p: Option<f64>| p.map_or(String::new(), |p| format!("{p:.2}"));
    actions.set_output("patch", &percent(report.patch.percent()))?;
    actions.set_output("overall", &percent(report.overall.line_percent()))?;
    Ok(())
}

/// Where a summary read on GitHub finds the HTML report: the run's artifacts.
fn html_link() -> HtmlLink<'static> {
    static RUN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    RUN.get_or_init(run_url)
        .as_deref()
        .map_or(HtmlLink::None, HtmlLink::Run)
}

/// The workflow run's page, where its artifacts are: `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`.
fn run_url() -> Option<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_owned());
    Some(format!(
        "{}/{}/actions/runs/{}",
        server.trim_end_matches('/'),
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_RUN_ID")?
    ))
}
