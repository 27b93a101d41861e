//! `cargo xtask ci`: the runbook's quality gate (`deno task ci`), with the gates run
//! side by side.

mod report;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use camino::Utf8Path;
use deno_runner::{Deno, DenoProject, quality_gates, run_gates};
use github_actions::Actions;

use crate::context;
use crate::output::Stream;

/// Run deno fmt --check, lint, check --frozen and test --frozen on the project.
///
/// Gates run side by side; each gate's output is printed whole, in the runbook's
/// order, followed by a summary table. Exit status 0 only when every gate passed,
/// 1 when one failed, 2 when the project or deno could not be used.
///
/// The test gate runs with --no-check, since deno check already type-checks every
/// module, test files included, and with --parallel, one worker per core.
///
/// Inside GitHub Actions (GITHUB_ACTIONS=true) each gate's output is a log group,
/// problems become ::error annotations at their file and line, and the summary is
/// appended to $GITHUB_STEP_SUMMARY.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stop the other gates as soon as one fails.
    #[arg(long)]
    fail_fast: bool,

    /// Print the summary as JSON on stdout (gate output then goes to stderr).
    #[arg(long)]
    json: bool,
}

pub fn run(project: Option<&Utf8Path>, args: &Args) -> Result<ExitCode> {
    let started = Instant::now();
    let project = context::open_project(project)?;
    let deno = context::deno()?;
    let passed = gate(&project, &deno, args.fail_fast, args.json, started)?;
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs the quality gate on `project` and reports it (the summary as JSON on stdout
/// with `json`, else as a table); whether every gate passed. `started` is when the task
/// started, for the total time.
pub fn gate(
    project: &DenoProject,
    deno: &Deno,
    fail_fast: bool,
    json: bool,
    started: Instant,
) -> Result<bool> {
    let actions = Actions::from_env();
    let plan = quality_gates(project);

    let mut log = report::GateLog::new(&plan, Stream::beside_json(json), actions.as_ref());
    let results = run_gates(deno, project, &plan, fail_fast, |index, result| {
        log.finished(index, result)
    })?;
    log.finish();

    let summary = report::Summary {
        project: project.dir(),
        deno,
        results: &results,
        total: started.elapsed(),
    };
    if let Some(actions) = &actions {
        report::annotate(actions, &results, Stream::beside_json(json));
        actions.append_summary(&summary.markdown())?;
    }
    if json {
        Stream::Stdout.write(&format!("{:#}\n", summary.json()));
    } else {
        Stream::Stdout.write(&summary.table());
    }
    Ok(summary.passed())
}
