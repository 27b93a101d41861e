//! What `cargo xtask ci` shows: each gate's output in order as gates finish, the
//! summary as a table, Markdown or JSON, and GitHub annotations.

use std::fmt::Write as _;
use std::time::Duration;

use camino::Utf8Path;
use deno_runner::{Deno, DenoProject, GatePlan, GateResult, PlanSource, Verdict};
use github_actions::{Actions, Annotation, END_GROUP, Level, group};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::output::Stream;

/// Prints gate outputs in plan order, each as soon as it and every gate before it have
/// finished, with a spinner naming the gates still running on a terminal.
pub struct GateLog {
    names: Vec<String>,
    pending: Vec<Option<GateResult>>,
    next: usize,
    stream: Stream,
    groups: bool,
    spinner: ProgressBar,
}

impl GateLog {
    /// Gate output goes to `stream`; `actions` folds each gate into a log group.
    pub fn new(plan: &GatePlan, stream: Stream, actions: Option<&Actions>) -> Self {
        let names: Vec<String> = plan.gates.iter().map(|g| g.name.clone()).collect();
        let spinner = if actions.is_some() {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        spinner.set_style(
            ProgressStyle::with_template("{spinner} running {msg} [{elapsed}]")
                .expect("the template is valid"),
        );
        spinner.enable_steady_tick(Duration::from_millis(100));
        let log = Self {
            pending: vec![None; names.len()],
            names,
            next: 0,
            stream,
            groups: actions.is_some(),
            spinner,
        };
        log.update_spinner();
        log
    }

    /// Records a finished gate and prints what is now in order.
    pub fn finished(&mut self, index: usize, result: &GateResult) {
        self.pending[index] = Some(result.clone());
        self.update_spinner();
        while let Some(Some(result)) = self.pending.get(self.next) {
            let text = self.render(result);
            self.spinner.suspend(|| self.stream.write(&text));
            self.next += 1;
        }
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        self.spinner.finish_and_clear();
    }

    fn update_spinner(&self) {
        let running: Vec<&str> = self
            .names
            .iter()
            .zip(&self.pending)
            .filter(|(_, done)| done.is_none())
            .map(|(name, _)| name.as_str())
            .collect();
        self.spinner.set_message(running.join(", "));
    }

    fn render(&self, result: &GateResult) -> String {
        let title = format!(
            "{}: {} ({}, {:.2}s)",
            result.gate.name,
            result.gate.command,
            result.verdict.as_str(),
            result.duration.as_secs_f64()
        );
        let mut text = if self.groups {
            group(&title)
        } else {
            format!("── {title} ──")
        };
        text.push('\n');
        text.push_str(&result.output);
        if !result.output.is_empty() && !result.output.ends_with('\n') {
            text.push('\n');
        }
        if self.groups {
            text.push_str(END_GROUP);
            text.push('\n');
        }
        text
    }
}

/// Everything the summary shows.
pub struct Summary<'a> {
    pub project: &'a Utf8Path,
    pub source: &'a PlanSource,
    pub deno: &'a Deno,
    pub results: &'a [GateResult],
    pub total: Duration,
}

impl Summary<'_> {
    /// Whether every gate passed.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.verdict == Verdict::Passed)
    }

    fn failed(&self) -> Vec<&GateResult> {
        self.results
            .iter()
            .filter(|r| r.verdict == Verdict::Failed)
            .collect()
    }

    /// The terminal table and verdict.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let width = self
            .results
            .iter()
            .map(|r| r.gate.name.chars().count())
            .chain([6])
            .max()
            .unwrap_or(6);
        let _ = writeln!(
            out,
            "\n{:<width$}  {:<9}  {:>7}  command",
            "gate", "result", "seconds"
        );
        for result in self.results {
            let _ = writeln!(
                out,
                "{:<width$}  {:<9}  {:>7.2}  {}",
                result.gate.name,
                result.verdict.as_str(),
                result.duration.as_secs_f64(),
                result.gate.command
            );
        }
        for hint in self.hints() {
            let _ = writeln!(out, "\n{hint}");
        }
        let _ = writeln!(out, "\n{}", self.verdict());
        out
    }

    /// The GitHub step summary.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "### cargo xtask ci\n\n| gate | result | seconds | command |\n| --- | --- | ---: | --- |\n",
        );
        for result in self.results {
            let mark = match result.verdict {
                Verdict::Passed => "✅ passed",
                Verdict::Failed => "❌ failed",
                Verdict::Cancelled => "⏹ cancelled",
                Verdict::Skipped => "⏭ skipped",
            };
            let _ = writeln!(
                out,
                "| {} | {mark} | {:.2} | `{}` |",
                result.gate.name,
                result.duration.as_secs_f64(),
                result.gate.command.replace('|', "\\|")
            );
        }
        for hint in self.hints() {
            let _ = writeln!(out, "\n{hint}");
        }
        let _ = writeln!(out, "\n{}\n", self.verdict());
        out
    }

    /// The machine-readable summary (`--json`).
    pub fn json(&self) -> serde_json::Value {
        let gates: Vec<_> = self
            .results
            .iter()
            .map(|result| {
                json!({
                    "name": result.gate.name,
                    "command": result.gate.command,
                    "result": result.verdict.as_str(),
                    "exit_code": result.exit_code,
                    "seconds": round_ms(result.duration),
                    "stale_lockfile": result.stale_lockfile,
                    "diagnostics": result.diagnostics.iter().map(|d| json!({
                        "file": d.file,
                        "line": d.line,
                        "column": d.column,
                        "message": d.message,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "passed": self.passed(),
            "project": self.project,
            "gates_from": self.source.to_string(),
            "deno": { "version": self.deno.version().to_string(), "path": self.deno.path() },
            "seconds": round_ms(self.total),
            "gates": gates,
        })
    }

    fn hints(&self) -> Vec<String> {
        stale_lockfiles(self.results)
            .into_iter()
            .map(|(lock, gates)| {
                format!(
                    "{}: the lockfile {lock} is out of date with the project's dependencies. \
                     Run `deno install` in {} to update it, review the change and commit it.",
                    gates.join(", "),
                    self.project
                )
            })
            .collect()
    }

    fn verdict(&self) -> String {
        let failed = self.failed();
        let total = self.total.as_secs_f64();
        if self.passed() {
            return format!("ci passed: {} gates in {total:.2}s", self.results.len());
        }
        let names: Vec<String> = failed
            .iter()
            .map(|r| format!("{} (`{}`)", r.gate.name, r.gate.command))
            .collect();
        format!(
            "ci failed in {total:.2}s: {} of {} gates failed: {}",
            failed.len(),
            self.results.len(),
            names.join(", ")
        )
    }
}

/// `::error` annotations for every located problem and every stale lockfile.
/// They go to `stream` (stderr when stdout is reserved for JSON: the runner reads both).
pub fn annotate(actions: &Actions, results: &[GateResult], stream: Stream) {
    let mut out = String::new();
    for result in results {
        let title = match result.gate.kind.subcommand() {
            Some(subcommand) => format!("deno {}", subcommand.as_str()),
            None => result.gate.name.clone(),
        };
        for diagnostic in &result.diagnostics {
            let annotation = Annotation {
                level: Level::Error,
                file: Some(actions.annotation_path(&diagnostic.file).to_owned()),
                line: Some(diagnostic.line),
                end_line: None,
                column: diagnostic.column,
                title: Some(title.clone()),
                message: diagnostic.message.clone(),
            };
            let _ = writeln!(out, "{annotation}");
        }
    }
    for (lock, gates) in stale_lockfiles(results) {
        let annotation = Annotation {
            level: Level::Error,
            file: Some(actions.annotation_path(lock).to_owned()),
            line: Some(1),
            end_line: None,
            column: None,
            title: Some("stale lockfile".into()),
            message: format!(
                "the lockfile is out of date (found by {}): run `deno install` and commit it",
                gates.join(", ")
            ),
        };
        let _ = writeln!(out, "{annotation}");
    }
    stream.write(&out);
}

/// Each stale lockfile once, with the gates that found it.
fn stale_lockfiles(results: &[GateResult]) -> Vec<(&Utf8Path, Vec<&str>)> {
    let mut found: Vec<(&Utf8Path, Vec<&str>)> = Vec::new();
    for result in results {
        let Some(lock) = result.stale_lockfile.as_deref() else {
            continue;
        };
        match found.iter_mut().find(|(known, _)| *known == lock) {
            Some((_, gates)) => gates.push(&result.gate.name),
            None => found.push((lock, vec![&result.gate.name])),
        }
    }
    found
}

/// `ci --print-plan`: the gates, stage by stage and lane by lane, with the flags the plan
/// added or left out.
pub fn print_plan(project: &DenoProject, plan: &GatePlan, json: bool) {
    if json {
        let gates: Vec<_> = plan
            .gates
            .iter()
            .map(|gate| {
                json!({
                    "name": gate.name,
                    "command": gate.command,
                    "argv": gate.invocation.argv(),
                    "env": gate.invocation.env,
                    "notes": gate.notes,
                })
            })
            .collect();
        let stages: Vec<Vec<Vec<&str>>> = plan
            .stages
            .iter()
            .map(|stage| {
                stage
                    .iter()
                    .map(|lane| lane.iter().map(|&i| plan.gates[i].name.as_str()).collect())
                    .collect()
            })
            .collect();
        let plan = json!({
            "project": project.dir(),
            "gates_from": plan.source.to_string(),
            "gates": gates,
            "stages": stages,
        });
        Stream::Stdout.write(&format!("{plan:#}\n"));
        return;
    }
    let mut out = format!("gates: {}\n", plan.source);
    for (number, stage) in plan.stages.iter().enumerate() {
        let _ = writeln!(
            out,
            "\nstage {} ({}):",
            number + 1,
            match stage.len() {
                1 => "one lane".to_owned(),
                n => format!("{n} lanes side by side"),
            }
        );
        for (lane, gates) in stage.iter().enumerate() {
            for (position, &index) in gates.iter().enumerate() {
                let gate = &plan.gates[index];
                let lead = if position == 0 {
                    format!("  lane {}:", lane + 1)
                } else {
                    "    then".to_owned()
                };
                let _ = writeln!(out, "{lead} {}: {}", gate.name, gate.command);
                for note in &gate.notes {
                    let _ = writeln!(out, "          {note}");
                }
            }
        }
    }
    Stream::Stdout.write(&out);
}

fn round_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}
