//! The quality gate of the runbook (`deno task ci`): fmt, lint, check and test, planned
//! to run side by side, and what each one came to.

use std::time::Duration;

use anyhow::Result;
use camino::Utf8PathBuf;

use crate::diagnostics::{Diagnostic, lockfile_out_of_date, parse_diagnostics};
use crate::invocation::{Invocation, TestOptions};
use crate::lanes::{Outcome, run_lanes};
use crate::project::DenoProject;
use crate::run::Deno;

/// One gate: a name and the deno command that decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    /// Short name: `fmt`, `lint`, `check`, `test`.
    pub name: &'static str,
    /// The command.
    pub invocation: Invocation,
}

/// The gates in their reporting order, and the lanes they run in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatePlan {
    /// The gates, in the order their output and results are shown.
    pub gates: Vec<Gate>,
    /// Indices into `gates`: each lane runs in order, lanes run side by side.
    pub lanes: Vec<Vec<usize>>,
}

/// The runbook's quality gate for `project`.
///
/// `deno check` type-checks every module of the project, test files included, so the
/// test gate runs with `--no-check` instead of type-checking the same files a second
/// time; a type error still fails the run, through the check gate.
///
/// Measured on 2 cores with warm deno caches: fmt, lint and (cached) check take about
/// 12 ms each, while test takes about 50 ms per test module, because deno starts a
/// worker for each. So fmt, lint and check share one lane, test runs beside them, and
/// test runs its modules in parallel workers (`--parallel`, 0.53 s -> 0.34 s on
/// examples/kato). With cold caches, check is the long pole and test still overlaps it.
pub fn quality_gates(project: &DenoProject) -> GatePlan {
    let dir = project.dir();
    let frozen = project.lockfile().is_some();
    let gates = vec![
        Gate {
            name: "fmt",
            invocation: Invocation::fmt_check(dir),
        },
        Gate {
            name: "lint",
            invocation: Invocation::lint(dir),
        },
        Gate {
            name: "check",
            invocation: Invocation::check(dir, frozen),
        },
        Gate {
            name: "test",
            invocation: Invocation::test(
                dir,
                &TestOptions {
                    frozen,
                    no_check: true,
                    parallel: true,
                    coverage_dir: None,
                },
            ),
        },
    ];
    GatePlan {
        gates,
        lanes: vec![vec![0, 1, 2], vec![3]],
    }
}

/// How a gate ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Exit status 0.
    Passed,
    /// Non-zero exit status.
    Failed,
    /// Stopped because another gate failed (`--fail-fast`).
    Cancelled,
    /// Not started because another gate failed (`--fail-fast`).
    Skipped,
}

impl Verdict {
    /// Lower-case word for tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Cancelled => "cancelled",
            Verdict::Skipped => "skipped",
        }
    }
}

/// What one gate came to.
#[derive(Debug, Clone)]
pub struct GateResult {
    /// The gate.
    pub gate: Gate,
    /// How it ended.
    pub verdict: Verdict,
    /// Its exit code, when it exited on its own.
    pub exit_code: Option<i32>,
    /// Its wall time (zero when skipped).
    pub duration: Duration,
    /// Its output, stdout and stderr interleaved.
    pub output: String,
    /// Locations of the problems it reported.
    pub diagnostics: Vec<Diagnostic>,
    /// The lockfile, when the gate failed because it is out of date.
    pub stale_lockfile: Option<Utf8PathBuf>,
}

impl GateResult {
    fn new(gate: Gate, outcome: &Outcome, lockfile: Option<&Utf8PathBuf>) -> Self {
        let verdict = match outcome {
            Outcome::Finished(completed) if completed.success() => Verdict::Passed,
            Outcome::Finished(_) => Verdict::Failed,
            Outcome::Cancelled(_) => Verdict::Cancelled,
            Outcome::Skipped => Verdict::Skipped,
        };
        let completed = outcome.completed();
        let output = completed.map(|c| c.output.clone()).unwrap_or_default();
        let failed = verdict == Verdict::Failed;
        let diagnostics = if failed {
            parse_diagnostics(gate.invocation.subcommand, &output, &gate.invocation.cwd)
        } else {
            Vec::new()
        };
        let stale_lockfile = lockfile.filter(|_| failed && lockfile_out_of_date(&output));
        Self {
            exit_code: completed
                .filter(|_| verdict != Verdict::Cancelled)
                .and_then(|c| c.status.code()),
            duration: completed.map(|c| c.duration).unwrap_or_default(),
            stale_lockfile: stale_lockfile.cloned(),
            gate,
            verdict,
            output,
            diagnostics,
        }
    }
}

/// Runs the plan. `on_result` is called with each gate's index and result as soon as
/// it ends; results come back in plan order.
pub fn run_gates(
    deno: &Deno,
    project: &DenoProject,
    plan: &GatePlan,
    fail_fast: bool,
    mut on_result: impl FnMut(usize, &GateResult),
) -> Result<Vec<GateResult>> {
    let invocations: Vec<Invocation> = plan.gates.iter().map(|g| g.invocation.clone()).collect();
    let lockfile = project.lockfile();
    let mut results: Vec<Option<GateResult>> = vec![None; plan.gates.len()];
    run_lanes(
        deno,
        &invocations,
        &plan.lanes,
        fail_fast,
        |index, outcome| {
            let result = GateResult::new(plan.gates[index].clone(), outcome, lockfile.as_ref());
            on_result(index, &result);
            results[index] = Some(result);
        },
    )?;
    Ok(results
        .into_iter()
        .map(|result| result.expect("run_lanes reports every invocation"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_every_gate_once_in_runbook_order() {
        let dir = tempfile::tempdir().unwrap();
        let dir = camino::Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(dir.join("deno.json"), "{}").unwrap();
        let project = DenoProject::open(dir).unwrap();
        let plan = quality_gates(&project);
        let names: Vec<_> = plan.gates.iter().map(|g| g.name).collect();
        assert_eq!(names, ["fmt", "lint", "check", "test"]);
        let mut lanes: Vec<usize> = plan.lanes.concat();
        lanes.sort();
        assert_eq!(lanes, [0, 1, 2, 3]);
        assert_eq!(plan.gates[2].invocation.to_string(), "deno check --frozen");
        assert_eq!(
            plan.gates[3].invocation.to_string(),
            "deno test --frozen --no-check --parallel"
        );
    }

    #[test]
    fn no_lockfile_means_no_frozen_flag() {
        let dir = tempfile::tempdir().unwrap();
        let dir = camino::Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(dir.join("deno.json"), r#"{"lock": false}"#).unwrap();
        let plan = quality_gates(&DenoProject::open(dir).unwrap());
        assert_eq!(plan.gates[2].invocation.to_string(), "deno check");
    }
}
