//! The quality gate: the project's own `tasks.ci` (else the runbook's `deno fmt --check &&
//! deno lint && deno check --frozen && deno test --frozen`), each command a gate, planned
//! to run side by side where that cannot change what they find, and what each came to.

use std::fmt;
use std::time::Duration;

use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

use crate::diagnostics::{Diagnostic, lockfile_out_of_date, parse_diagnostics};
use crate::invocation::{Invocation, Subcommand};
use crate::lanes::{Outcome, run_lanes};
use crate::project::{DenoConfig, DenoProject, Permission, PermissionSet};
use crate::run::Deno;
use crate::task_shell::{SimpleCommand, Word};
use crate::task_steps::{Step, StepCommand, TaskError, command_steps, task_steps};

/// The task whose commands are the gates.
pub const CI_TASK: &str = "ci";

/// What a gate checks, which decides how it may be scheduled and how its output is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateKind {
    /// `deno fmt --check`.
    Fmt,
    /// `deno lint` (without `--fix`).
    Lint,
    /// `deno check`.
    Check,
    /// `deno test`.
    Test,
    /// Any other command: it may write what the others read, so it runs alone.
    Other,
}

impl GateKind {
    /// The deno subcommand whose output the gate's output is, for reading diagnostics.
    pub fn subcommand(self) -> Option<Subcommand> {
        match self {
            GateKind::Fmt => Some(Subcommand::Fmt),
            GateKind::Lint => Some(Subcommand::Lint),
            GateKind::Check => Some(Subcommand::Check),
            GateKind::Test => Some(Subcommand::Test),
            GateKind::Other => None,
        }
    }

    fn of(command: &SimpleCommand) -> GateKind {
        let words: Vec<&str> = command.words.iter().map(|w| w.text.as_str()).collect();
        let has = |flag: &str| words.iter().skip(2).any(|w| *w == flag);
        match words.as_slice() {
            ["deno", "fmt", ..] if has("--check") => GateKind::Fmt,
            ["deno", "lint", ..] if !has("--fix") => GateKind::Lint,
            ["deno", "check", ..] => GateKind::Check,
            ["deno", "test", ..] => GateKind::Test,
            _ => GateKind::Other,
        }
    }
}

/// One gate: a name, the command that decides it and how it is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    /// The task the command comes from (`fmt:check`), or the subcommand (`lint`) for a
    /// command written in `tasks.ci` itself; unique in the plan.
    pub name: String,
    /// What it checks.
    pub kind: GateKind,
    /// The command as the task shell reads it, with the flags the plan adds.
    pub command: String,
    /// How it runs: deno directly, or through deno's task shell (`deno task --eval`) when
    /// the command needs the shell (globs, variables, pipes).
    pub invocation: Invocation,
    /// Flags the plan added or left out, and why.
    pub notes: Vec<String>,
    /// The command as the task wrote it, for a fmt, lint, check or test gate.
    written: Option<SimpleCommand>,
    /// The flags added to its own.
    added: Vec<Word>,
}

impl Gate {
    fn new(name: String, kind: GateKind, dir: &Utf8Path, step: &StepCommand) -> Self {
        let written = match step {
            StepCommand::Simple(simple) if kind != GateKind::Other => Some(simple.clone()),
            _ => None,
        };
        let command = step.raw();
        let mut gate = Self {
            name,
            kind,
            invocation: Invocation::task_eval(dir, &command),
            command,
            notes: Vec::new(),
            written,
            added: Vec::new(),
        };
        gate.add(dir, &[]);
        gate
    }

    /// Adds `flags` to the command's flags and makes the command and invocation again.
    fn add(&mut self, dir: &Utf8Path, flags: &[&str]) {
        let Some(written) = &self.written else {
            return;
        };
        self.added
            .extend(flags.iter().map(|flag| Word::literal(flag)));
        // Before any `--`, which ends deno's flags.
        let mut words = written.words.clone();
        let end = words
            .iter()
            .position(|w| w.text == "--")
            .unwrap_or(words.len());
        words.splice(end..end, self.added.iter().cloned());
        let command = SimpleCommand {
            assignments: written.assignments.clone(),
            words,
        };
        self.command = command.raw();
        self.invocation = if command.expands() {
            Invocation::task_eval(dir, &self.command)
        } else {
            direct(dir, self.kind, &command)
        };
    }

    /// The words of the command as written, after `deno <subcommand>`.
    fn args(&self) -> Vec<&str> {
        self.written
            .iter()
            .flat_map(|w| w.words.iter().skip(2))
            .chain(&self.added)
            .map(|w| w.text.as_str())
            .collect()
    }
}

/// `deno <subcommand> args...` run by deno itself, the assignments as its environment.
fn direct(dir: &Utf8Path, kind: GateKind, command: &SimpleCommand) -> Invocation {
    let mut invocation = Invocation {
        subcommand: kind
            .subcommand()
            .expect("fmt, lint, check and test gates have a subcommand"),
        args: command.words[2..].iter().map(|w| w.text.clone()).collect(),
        cwd: dir.to_owned(),
        env: Default::default(),
    };
    for word in &command.assignments {
        let (name, value) = word.assignment().expect("assignments are NAME=value");
        invocation.env.insert(name.to_owned(), value.to_owned());
    }
    invocation
}

/// Where the plan's gates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanSource {
    /// The project's `tasks.ci`, in this config file.
    Task(Utf8PathBuf),
    /// The runbook's four gates: the config file defines no `tasks.ci`.
    Runbook(Utf8PathBuf),
}

impl fmt::Display for PlanSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanSource::Task(config) => write!(f, "tasks.ci of {config}"),
            PlanSource::Runbook(config) => {
                write!(f, "the runbook's gates ({config} has no tasks.ci)")
            }
        }
    }
}

/// The gates in their reporting order, and how they run: stages one after another, the
/// lanes of a stage side by side, the gates of a lane one after another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatePlan {
    /// Where the gates come from.
    pub source: PlanSource,
    /// The gates, in the order of the task.
    pub gates: Vec<Gate>,
    /// Each stage's lanes, as indices into `gates`; every gate is in one lane.
    pub stages: Vec<Vec<Vec<usize>>>,
}

/// The project's gate could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{config}: {error}")]
pub struct PlanError {
    /// The config file holding the tasks.
    pub config: Utf8PathBuf,
    /// What is wrong with them.
    pub error: TaskError,
}

/// The quality gate of `project`: the commands of its `tasks.ci` (with every `deno task`
/// call resolved), else the runbook's `deno fmt --check && deno lint && deno check
/// [--frozen] && deno test [--frozen] [-P]` (`--frozen` where a lockfile is used, `-P`
/// where the config declares test permissions).
///
/// Every command keeps its flags, paths and globs. fmt, lint and check only read the
/// tree, so the fmt, lint and check gates between two other commands share a lane and
/// the test gates run in a lane beside them; any other command runs alone, after what
/// comes before it in the task and before what comes after it. A test gate is also given
/// `--no-check` when a check gate type-checks every file it tests (a type error then
/// fails that gate instead of being found twice) and `--parallel` when its permissions
/// let no test module change what another sees (see [`Gate::notes`]).
pub fn quality_gates(project: &DenoProject) -> Result<GatePlan, PlanError> {
    let config = project.config();
    let error = |error| PlanError {
        config: project.config_path().to_owned(),
        error,
    };
    let (source, steps) = if config.tasks.contains_key(CI_TASK) {
        let steps = task_steps(&config.tasks, CI_TASK, &[]).map_err(error)?;
        (PlanSource::Task(project.config_path().to_owned()), steps)
    } else {
        let steps =
            command_steps(&config.tasks, CI_TASK, &runbook_command(project)).map_err(error)?;
        (PlanSource::Runbook(project.config_path().to_owned()), steps)
    };
    let mut gates = plan_gates(project.dir(), &steps);
    adjust_tests(&mut gates, config);
    let stages = stages(&gates);
    Ok(GatePlan {
        source,
        gates,
        stages,
    })
}

/// The test gates of the quality gate, each writing coverage profiles into a directory of
/// its own under `profiles` (`1`, `2`, ...), which `deno coverage` merges. They run as in
/// the gate, `--parallel` included, but with no check gate beside them they type-check
/// their modules themselves.
pub fn coverage_gates(
    project: &DenoProject,
    profiles: &Utf8Path,
) -> Result<Vec<(Gate, Utf8PathBuf)>, PlanError> {
    let plan = quality_gates(project)?;
    let tests = plan.gates.into_iter().filter(|g| g.kind == GateKind::Test);
    Ok(tests
        .enumerate()
        .map(|(index, mut gate)| {
            let dir = profiles.join((index + 1).to_string());
            gate.added.retain(|w| w.text != "--no-check");
            gate.notes.retain(|n| !n.starts_with("--no-check"));
            gate.add(project.dir(), &[&format!("--coverage={dir}")]);
            (gate, dir)
        })
        .collect())
}

fn runbook_command(project: &DenoProject) -> String {
    let frozen = if project.lockfile().is_some() {
        " --frozen"
    } else {
        ""
    };
    let permissions = if project.config().test_permissions().is_some() {
        " -P"
    } else {
        ""
    };
    format!("deno fmt --check && deno lint && deno check{frozen} && deno test{frozen}{permissions}")
}

fn plan_gates(dir: &Utf8Path, steps: &[Step]) -> Vec<Gate> {
    let mut gates: Vec<Gate> = Vec::new();
    for step in steps {
        let kind = match &step.command {
            StepCommand::Simple(command) => GateKind::of(command),
            StepCommand::Shell(_) => GateKind::Other,
        };
        let base = if step.task == CI_TASK {
            program_name(&step.command.raw())
        } else {
            step.task.clone()
        };
        let mut name = base.clone();
        let mut n = 1;
        while gates.iter().any(|g| g.name == name) {
            n += 1;
            name = format!("{base} ({n})");
        }
        gates.push(Gate::new(name, kind, dir, &step.command));
    }
    gates
}

/// `test` for a command written `deno test ...`, `npm` for `npm run x`.
fn program_name(command: &str) -> String {
    let mut words = command
        .split_whitespace()
        .filter(|w| !w.contains('='))
        .map(|w| w.trim_matches(['\'', '"', '(']));
    match (words.next(), words.next()) {
        (Some("deno"), Some(sub)) => sub.to_owned(),
        (Some(program), _) if !program.is_empty() => program.to_owned(),
        _ => "command".to_owned(),
    }
}

/// Flags of deno's check and test that take the next word as their value.
const VALUE_FLAGS: [&str; 13] = [
    "-c",
    "--config",
    "--import-map",
    "--lock",
    "--cert",
    "--location",
    "--seed",
    "--filter",
    "--reporter",
    "--junit-path",
    "--ext",
    "-L",
    "--log-level",
];

/// The files and directories a command names, before any `--`.
fn roots<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut words = args.iter();
    while let Some(&word) = words.next() {
        if word == "--" {
            break;
        }
        if VALUE_FLAGS.contains(&word) {
            words.next();
        } else if !word.starts_with('-') {
            found.push(word);
        }
    }
    found
}

/// The value of the config flag (`-c x`, `--config=x`), which decides what deno reads.
fn config_flag<'a>(args: &[&'a str]) -> Option<&'a str> {
    let mut words = args.iter().take_while(|w| **w != "--");
    while let Some(&word) = words.next() {
        if word == "-c" || word == "--config" {
            return words.next().copied();
        }
        if let Some(value) = word
            .strip_prefix("--config=")
            .or_else(|| word.strip_prefix("-c="))
        {
            return Some(value);
        }
    }
    None
}

/// Whether the flag `name` (`--doc`, `--allow-write`) is given, bare or with `=value`.
fn has_flag(args: &[&str], name: &str) -> bool {
    args.iter()
        .take_while(|w| **w != "--")
        .any(|w| *w == name || w.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
}

/// Gives each test gate `--no-check` and `--parallel` where they change nothing it finds.
fn adjust_tests(gates: &mut [Gate], config: &DenoConfig) {
    let checks: Vec<(String, Option<String>, Vec<String>)> = gates
        .iter()
        .filter(|g| g.kind == GateKind::Check)
        .map(|g| {
            let args = g.args();
            let roots = roots(&args).into_iter().map(str::to_owned).collect();
            (g.name.clone(), config_flag(&args).map(str::to_owned), roots)
        })
        .collect();
    for gate in gates.iter_mut().filter(|g| g.kind == GateKind::Test) {
        let dir = gate.invocation.cwd.clone();
        let args = gate.args();
        let mut added = Vec::new();
        let mut notes = Vec::new();
        let checks_itself = ["--no-check", "--check", "--doc"]
            .iter()
            .any(|flag| has_flag(&args, flag));
        let covering = checks.iter().find(|(_, config, check_roots)| {
            config.as_deref() == config_flag(&args) && covers(check_roots, &roots(&args))
        });
        match covering {
            Some((check, _, _)) if !checks_itself => {
                added.push("--no-check");
                notes.push(format!(
                    "--no-check: the {check} gate type-checks every file these tests run"
                ));
            }
            _ => {}
        }
        let declared = config.xtask.as_ref().is_some_and(|x| x.parallel_tests);
        if !has_flag(&args, "--parallel") {
            let shared = shared_state(&args, config);
            if declared {
                added.push("--parallel");
                notes.push(
                    "--parallel: the project declares its test modules independent \
                     (xtask.parallelTests)"
                        .to_owned(),
                );
            } else if shared.is_empty() {
                added.push("--parallel");
                notes.push(
                    "--parallel: the tests may not write files, set environment variables, \
                     use the network, run programs or load native code, so no test module \
                     can change what another sees"
                        .to_owned(),
                );
            } else {
                notes.push(format!(
                    "not --parallel: test modules would share one process and its files, and \
                     these tests may use {} (declare \"xtask\": {{ \"parallelTests\": true }} \
                     if no test module depends on another)",
                    shared.join(", ")
                ));
            }
        }
        gate.add(&dir, &added);
        gate.notes.extend(notes);
    }
}

/// Whether `deno check` of `check` type-checks every module that `deno test` of `test`
/// runs: it checks the whole project (no roots), or each test root lies in a check root.
fn covers(check: &[String], test: &[&str]) -> bool {
    if check.is_empty() {
        return test.iter().all(|root| inside_project(root));
    }
    !test.is_empty()
        && test.iter().all(|root| {
            let prefix = literal_prefix(root);
            check.iter().any(|c| {
                let c = normal(c);
                if c.contains(['*', '?', '[', '{']) {
                    return c == normal(root);
                }
                c == "." || prefix == c || prefix.starts_with(&format!("{c}/"))
            })
        })
}

fn inside_project(root: &str) -> bool {
    !root.starts_with('/') && !normal(root).split('/').any(|part| part == "..")
}

fn normal(path: &str) -> String {
    let mut path = path.trim_end_matches('/');
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    if path.is_empty() { "." } else { path }.to_owned()
}

/// The directories of a glob before its first pattern: `tests` of `tests/**/*.ts`.
fn literal_prefix(root: &str) -> String {
    let normal = normal(root);
    let parts: Vec<&str> = normal
        .split('/')
        .take_while(|part| !part.contains(['*', '?', '[', '{']))
        .collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// What the test command's permissions let one test module change for another.
fn shared_state(args: &[&str], config: &DenoConfig) -> Vec<String> {
    let mut found = Vec::new();
    let mut note = |what: String| {
        if !found.contains(&what) {
            found.push(what);
        }
    };
    let flag = |arg: &str, names: &[&str]| {
        names
            .iter()
            .any(|n| arg == *n || arg.strip_prefix(n).is_some_and(|r| r.starts_with('=')))
    };
    for &arg in args.iter().take_while(|w| **w != "--") {
        if flag(arg, &["-A", "--allow-all"]) {
            note(format!("every permission ({arg})"));
        } else if flag(arg, &["-W", "--allow-write"]) {
            note(format!("writing files ({arg})"));
        } else if flag(arg, &["-E", "--allow-env"]) {
            note(format!("setting environment variables ({arg})"));
        } else if flag(arg, &["-N", "--allow-net"]) {
            note(format!("the network ({arg})"));
        } else if flag(arg, &["--allow-run"]) {
            note(format!("running programs ({arg})"));
        } else if flag(arg, &["--allow-ffi"]) {
            note(format!("native code ({arg})"));
        } else if flag(arg, &["-P", "--permission-set"]) {
            let name = arg.split_once('=').map(|(_, name)| name);
            let (source, set) = match name {
                Some(name) => (format!("permissions.{name}"), config.permissions.get(name)),
                None => match config.test_permissions() {
                    Some((source, set)) => (source, set),
                    None => ("test.permissions".to_owned(), None),
                },
            };
            match set {
                None => note(format!(
                    "the permissions of {arg}, which the config does not hold"
                )),
                Some(set) => {
                    for what in set_shared_state(set) {
                        note(format!("{what} ({arg}: {source})"));
                    }
                }
            }
        }
    }
    found
}

fn set_shared_state(set: &PermissionSet) -> Vec<&'static str> {
    let granted = |p: &Option<Permission>| !matches!(p, None | Some(Permission::Flag(false)));
    let mut found = Vec::new();
    if set.all == Some(true) {
        found.push("every permission");
    }
    for (permission, what) in [
        (&set.write, "writing files"),
        (&set.env, "setting environment variables"),
        (&set.net, "the network"),
        (&set.run, "running programs"),
        (&set.ffi, "native code"),
    ] {
        if granted(permission) {
            found.push(what);
        }
    }
    found
}

/// The stages: the fmt, lint, check and test gates between two other gates form one, in
/// a lane for fmt, lint and check and a lane for the tests; each other gate is a stage
/// of its own.
fn stages(gates: &[Gate]) -> Vec<Vec<Vec<usize>>> {
    let mut stages = Vec::new();
    let mut readers: Vec<usize> = Vec::new();
    let mut tests: Vec<usize> = Vec::new();
    let mut close = |readers: &mut Vec<usize>, tests: &mut Vec<usize>| {
        let lanes: Vec<Vec<usize>> = [std::mem::take(readers), std::mem::take(tests)]
            .into_iter()
            .filter(|lane| !lane.is_empty())
            .collect();
        if !lanes.is_empty() {
            stages.push(lanes);
        }
    };
    for (index, gate) in gates.iter().enumerate() {
        match gate.kind {
            GateKind::Fmt | GateKind::Lint | GateKind::Check => readers.push(index),
            GateKind::Test => tests.push(index),
            GateKind::Other => {
                close(&mut readers, &mut tests);
                close(&mut vec![index], &mut Vec::new());
            }
        }
    }
    close(&mut readers, &mut tests);
    stages
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
        let diagnostics = match gate.kind.subcommand() {
            Some(subcommand) if failed => {
                parse_diagnostics(subcommand, &output, &gate.invocation.cwd)
            }
            _ => Vec::new(),
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

/// Runs the plan, stage after stage. `on_result` is called with each gate's index and
/// result as soon as it ends; results come back in plan order. With `fail_fast` the
/// first failure stops what runs and skips the rest.
pub fn run_gates(
    deno: &Deno,
    project: &DenoProject,
    plan: &GatePlan,
    fail_fast: bool,
    mut on_result: impl FnMut(usize, &GateResult),
) -> Result<Vec<GateResult>> {
    let lockfile = project.lockfile();
    let mut results: Vec<Option<GateResult>> = vec![None; plan.gates.len()];
    let mut failed = false;
    for stage in &plan.stages {
        let indices: Vec<usize> = stage.concat();
        let skip = failed && fail_fast;
        let mut report = |index: usize, outcome: &Outcome| {
            let result = GateResult::new(plan.gates[index].clone(), outcome, lockfile.as_ref());
            failed |= result.verdict != Verdict::Passed;
            on_result(index, &result);
            results[index] = Some(result);
        };
        if skip {
            for &index in &indices {
                report(index, &Outcome::Skipped);
            }
            continue;
        }
        // run_lanes takes a batch of its own: the stage's gates, numbered from 0.
        let invocations: Vec<Invocation> = indices
            .iter()
            .map(|&i| plan.gates[i].invocation.clone())
            .collect();
        let lanes: Vec<Vec<usize>> = stage
            .iter()
            .map(|lane| {
                lane.iter()
                    .map(|i| indices.iter().position(|j| j == i).expect("in the stage"))
                    .collect()
            })
            .collect();
        run_lanes(deno, &invocations, &lanes, fail_fast, |local, outcome| {
            report(indices[local], outcome)
        })?;
    }
    Ok(results
        .into_iter()
        .map(|result| result.expect("every gate is in a stage"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(config: &str) -> (tempfile::TempDir, DenoProject) {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(path.join("deno.json"), config).unwrap();
        let project = DenoProject::open(path).unwrap();
        (dir, project)
    }

    fn rows(plan: &GatePlan) -> Vec<(String, String)> {
        plan.gates
            .iter()
            .map(|g| (g.name.clone(), g.command.clone()))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn without_tasks_ci_the_runbook_gates_run() {
        let (_dir, project) = project("{}");
        let plan = quality_gates(&project).unwrap();
        assert!(matches!(plan.source, PlanSource::Runbook(_)));
        assert_eq!(
            rows(&plan),
            pairs(&[
                ("fmt", "deno fmt --check"),
                ("lint", "deno lint"),
                ("check", "deno check --frozen"),
                ("test", "deno test --frozen --no-check --parallel"),
            ])
        );
        assert_eq!(plan.stages, [vec![vec![0, 1, 2], vec![3]]]);
        assert_eq!(
            plan.gates[3].invocation.to_string(),
            "deno test --frozen --no-check --parallel"
        );
        assert_eq!(plan.gates[3].notes.len(), 2);
    }

    #[test]
    fn no_lockfile_means_no_frozen_flag_and_test_permissions_mean_p() {
        let (_dir, project) =
            project(r#"{"lock": false, "test": {"permissions": {"read": true, "env": ["A"]}}}"#);
        let plan = quality_gates(&project).unwrap();
        assert_eq!(plan.gates[2].command, "deno check");
        assert_eq!(plan.gates[3].command, "deno test -P --no-check");
        assert!(
            plan.gates[3].notes[1].contains("setting environment variables (-P: test.permissions)"),
            "{:?}",
            plan.gates[3].notes
        );
    }

    #[test]
    fn the_projects_ci_task_is_the_gate_with_its_paths_globs_and_permissions() {
        let (_dir, project) = project(
            r#"{"tasks": {
              "fmt:check": "deno fmt --check apps shared tests main.ts",
              "lint": "deno lint apps shared tests main.ts",
              "check": "deno check apps shared tests main.ts main_test.ts",
              "test": "deno test --allow-read --allow-write=.test-tmp --allow-env=A,B main_test.ts tests/**/*.ts",
              "ci": "deno task fmt:check && deno task lint && deno task check --frozen && deno task test --frozen"
            }}"#,
        );
        let plan = quality_gates(&project).unwrap();
        assert!(matches!(plan.source, PlanSource::Task(_)));
        assert_eq!(
            rows(&plan),
            pairs(&[
                ("fmt:check", "deno fmt --check apps shared tests main.ts"),
                ("lint", "deno lint apps shared tests main.ts"),
                (
                    "check",
                    "deno check apps shared tests main.ts main_test.ts --frozen"
                ),
                (
                    "test",
                    "deno test --allow-read --allow-write=.test-tmp --allow-env=A,B \
                     main_test.ts tests/**/*.ts --frozen --no-check"
                ),
            ])
        );
        // The glob is the shell's to expand, so the test gate runs through deno's task shell.
        let test = &plan.gates[3];
        assert_eq!(
            test.invocation.argv()[..4],
            ["task", "--no-lock", "-q", "--eval"]
        );
        assert_eq!(test.invocation.argv()[4], test.command);
        assert_eq!(
            plan.gates[0].invocation.argv(),
            ["fmt", "--check", "apps", "shared", "tests", "main.ts"]
        );
        assert_eq!(
            test.notes[1],
            "not --parallel: test modules would share one process and its files, and these \
             tests may use writing files (--allow-write=.test-tmp), setting environment \
             variables (--allow-env=A,B) (declare \"xtask\": { \"parallelTests\": true } if \
             no test module depends on another)"
        );
    }

    #[test]
    fn no_check_only_where_a_check_gate_covers_the_tests() {
        let cases = [
            ("deno check", "deno test", true),
            ("deno check", "deno test tests/a_test.ts", true),
            ("deno check", "deno test ../other_test.ts", false),
            ("deno check main.ts", "deno test", false),
            ("deno check main.ts", "deno test main_test.ts", false),
            (
                "deno check src tests",
                "deno test 'tests/**/*_test.ts' src/a_test.ts",
                true,
            ),
            ("deno check ./tests/", "deno test tests/unit", true),
            ("deno check tests/unit", "deno test tests", false),
            ("deno check", "deno test --doc", false),
            ("deno check -c a.json", "deno test", false),
            ("deno check -c a.json", "deno test --config=a.json", true),
            ("deno check --lock x src", "deno test src", true),
        ];
        for (check, test, no_check) in cases {
            let config = format!(r#"{{"lock": false, "tasks": {{"ci": "{check} && {test}"}}}}"#)
                .replace('\'', "\\u0027");
            let (_dir, project) = project(&config);
            let plan = quality_gates(&project).unwrap();
            let test_gate = &plan.gates[1];
            assert_eq!(
                test_gate.command.contains("--no-check"),
                no_check,
                "{check} / {test}: {}",
                test_gate.command
            );
        }
    }

    #[test]
    fn parallel_only_where_test_modules_cannot_meet() {
        let cases = [
            ("deno test", true),
            ("deno test --allow-read --allow-sys", true),
            ("deno test --allow-write=.test-tmp", false),
            ("deno test -E", false),
            ("deno test --allow-net=127.0.0.1", false),
            ("deno test -A", false),
            ("deno test -P=reader", true),
            ("deno test -P=writer", false),
            ("deno test -P=missing", false),
            ("deno test --parallel --allow-write", true),
            ("deno test -- --allow-write", true),
        ];
        let (_dir, declared) = project(
            r#"{"lock": false, "xtask": {"parallelTests": true}, "tasks": {"ci": "deno test -A"}}"#,
        );
        let plan = quality_gates(&declared).unwrap();
        assert_eq!(plan.gates[0].command, "deno test -A --parallel");
        for (test, parallel) in cases {
            let config = format!(
                r#"{{"lock": false,
                   "permissions": {{"reader": {{"read": true}}, "writer": {{"write": ["/tmp"]}}}},
                   "tasks": {{"ci": "{test}"}}}}"#
            );
            let (_dir, project) = project(&config);
            let plan = quality_gates(&project).unwrap();
            assert_eq!(
                plan.gates[0].command.contains("--parallel"),
                parallel,
                "{test}: {:?}",
                plan.gates[0].notes
            );
        }
    }

    #[test]
    fn other_commands_run_alone_between_the_gates_around_them() {
        let (_dir, project) = project(
            r#"{"lock": false, "tasks": {
              "gen": "deno run -A gen.ts",
              "ci": "deno fmt --check && deno lint && deno task gen && deno check && deno test && deno doc --lint mod.ts && deno fmt && deno test"
            }}"#,
        );
        let plan = quality_gates(&project).unwrap();
        let names: Vec<&str> = plan.gates.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "fmt", "lint", "gen", "check", "test", "doc", "fmt (2)", "test (2)"
            ]
        );
        assert_eq!(plan.gates[5].kind, GateKind::Other);
        assert_eq!(plan.gates[6].kind, GateKind::Other, "deno fmt writes files");
        assert_eq!(
            plan.stages,
            [
                vec![vec![0, 1]],
                vec![vec![2]],
                vec![vec![3], vec![4]],
                vec![vec![5]],
                vec![vec![6]],
                vec![vec![7]],
            ]
        );
        assert_eq!(
            plan.gates[2].invocation.argv(),
            ["task", "--no-lock", "-q", "--eval", "deno run -A gen.ts"]
        );
        // The check is in another stage than the last test, but still covers it.
        assert!(plan.gates[7].command.contains("--no-check"));
    }

    #[test]
    fn variables_before_a_command_are_its_environment() {
        let (_dir, project) = project(r#"{"lock": false, "tasks": {"ci": "TZ=UTC deno test"}}"#);
        let plan = quality_gates(&project).unwrap();
        assert_eq!(plan.gates[0].invocation.env["TZ"], "UTC");
        assert_eq!(plan.gates[0].invocation.subcommand, Subcommand::Test);
        assert_eq!(plan.gates[0].command, "TZ=UTC deno test --parallel");
    }

    #[test]
    fn bad_tasks_are_named_with_the_config() {
        let (_dir, project) = project(r#"{"tasks": {"ci": "deno task lnt"}}"#);
        let error = quality_gates(&project).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "deno.json: tasks.ci runs the task \"lnt\", which is not defined: \
                             define tasks.lnt or correct the name"
            ),
            "{error}"
        );
    }

    #[test]
    fn coverage_runs_each_test_gate_with_a_profile_directory_and_its_own_type_check() {
        let (_dir, project) = project(
            r#"{"lock": false, "tasks": {"ci": "deno check && deno test src && deno test 'e2e/*.ts'"}}"#,
        );
        let gates = coverage_gates(&project, Utf8Path::new("/out/prof")).unwrap();
        let shown: Vec<(String, String)> = gates
            .iter()
            .map(|(g, dir)| (g.command.clone(), dir.to_string()))
            .collect();
        assert_eq!(
            shown,
            pairs(&[
                (
                    "deno test src --parallel --coverage=/out/prof/1",
                    "/out/prof/1"
                ),
                (
                    "deno test 'e2e/*.ts' --parallel --coverage=/out/prof/2",
                    "/out/prof/2"
                ),
            ])
        );
        assert_eq!(
            gates[1].0.invocation.argv(),
            ["test", "e2e/*.ts", "--parallel", "--coverage=/out/prof/2"]
        );
    }
}
