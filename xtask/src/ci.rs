//! `cargo xtask ci`: the runbook's quality gate (`deno task ci`), with the gates run
//! side by side.

mod report;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use deno_runner::{Deno, DenoProject, quality_gates, run_gates};
use github_actions::Actions;

use crate::context::{self, ProjectArgs};
use crate::output::Stream;

/// Run the project's quality gate: the commands of its tasks.ci, each a gate, side by
/// side where that cannot change what they find.
///
/// tasks.ci is read as `deno task ci` would run it: its `&&` chain, every `deno task X
/// args` resolved into X's commands (dependencies first, args appended to the last
/// command), every flag, path and glob kept. deno fmt --check, lint, check and test are
/// gates that run side by side (fmt, lint and check in one lane, the tests beside them);
/// any other command is a gate that runs alone, in its place in the chain, through deno's
/// task shell. Without tasks.ci the gates are the runbook's: deno fmt --check, deno lint,
/// deno check --frozen, deno test --frozen (-P where the config declares test
/// permissions). `--print-plan` shows the gates, their lanes and the flags added, and
/// runs nothing.
///
/// A test gate runs with --no-check when a check gate type-checks every file it tests,
/// and with --parallel when its permissions let no test module change what another sees
/// (no write, env, net, run or ffi), or when the project declares its test modules
/// independent ("xtask": { "parallelTests": true }).
///
/// Each gate's output is printed whole, in the task's order, followed by a summary
/// table. Exit status 0 only when every gate passed, 1 when one failed, 2 when the
/// project, its tasks or deno could not be used.
///
/// Inside GitHub Actions (GITHUB_ACTIONS=true) each gate's output is a log group,
/// problems become ::error annotations at their file and line, and the summary is
/// appended to $GITHUB_STEP_SUMMARY.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: ProjectArgs,

    /// Stop the other gates as soon as one fails.
    #[arg(long)]
    fail_fast: bool,

    /// Print the gates and their lanes, and run nothing.
    #[arg(long)]
    print_plan: bool,

    /// Print the summary (or with --print-plan the plan) as JSON on stdout; gate output
    /// then goes to stderr.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let started = Instant::now();
    let project = args.project.open()?;
    if args.print_plan {
        let plan = quality_gates(&project)?;
        report::print_plan(&project, &plan, args.json);
        return Ok(ExitCode::SUCCESS);
    }
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
    let plan = quality_gates(project)?;
    let stream = Stream::beside_json(json);
    stream.write(&format!("gates: {}\n", plan.source));

    let mut log = report::GateLog::new(&plan, stream, actions.as_ref());
    let results = run_gates(deno, project, &plan, fail_fast, |index, result| {
        log.finished(index, result)
    })?;
    log.finish();

    let summary = report::Summary {
        project: project.dir(),
        source: &plan.source,
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
