//! `cargo xtask`: kato's CI/CD tasks. Each task's flow is one function in its module;
//! the work is done by the crates under `crates/`. Two binaries run [`main`]: `xtask`,
//! the default build, and `xtask-github`, the build with the tasks that talk to GitHub
//! (feature `github`), which `xtask` hands those tasks to (src/with_github.rs).

mod bench;
mod bump;
mod ci;
mod context;
mod coverage;
mod failure;
mod github;
mod outdated;
mod output;
pub(crate) mod release;
#[cfg(feature = "github")]
mod unpublished;
mod verify_tag;
// xtask-github hands nothing on, but builds the module too, so that its tests run with
// the others (`--all-features`).
#[cfg_attr(feature = "github", allow(dead_code))]
mod with_github;
mod workflows;

use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use github_actions::{Actions, Annotation, Level};

use crate::output::Stream;

/// kato's CI/CD tasks, run the same way on a laptop and in GitHub Actions.
///
/// Tasks run on the Deno project that --project names, else $XTASK_PROJECT, else the
/// nearest deno.json(c) from the current directory up to its git repository's root,
/// else examples/kato; the first line on stderr names it. deno is the version pinned in .dvmrc: taken from $DENO, from PATH when it is that
/// version, or provisioned once through npm into a cache ($XTASK_CACHE_DIR, else the
/// user cache directory).
///
/// Exit status: 0 success, 1 a check failed, 2 bad input or environment; 130 / 143
/// when stopped by SIGINT / SIGTERM, which stop every deno the task started and leave no
/// unfinished file. Inside GitHub Actions an error is also an ::error annotation.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    Ci(ci::Args),
    Coverage(coverage::Args),
    Release(Box<release::Args>),
    Bump(bump::Args),
    VerifyTag(verify_tag::Args),
    Workflows(workflows::Args),
    Outdated(outdated::Args),
    Github(github::Args),
    Bench(bench::Args),
}

/// The command line's task, run; its exit status.
pub fn main() -> ExitCode {
    // First, before any thread starts: SIGINT and SIGTERM stop the children and remove
    // unfinished files, then exit with 130 / 143 (crates/interrupt).
    if let Err(error) = interrupt::install() {
        eprintln!("warning: signals will not stop deno processes this task starts: {error}");
    }
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let result = match &cli.task {
        Task::Ci(args) => ci::run(args),
        Task::Coverage(args) => coverage::run(args),
        Task::Release(args) => release::run(args),
        Task::Bump(args) => bump::run(args),
        #[cfg(feature = "github")]
        Task::VerifyTag(args) => verify_tag::run(args),
        #[cfg(feature = "github")]
        Task::Github(args) => github::run(args),
        #[cfg(not(feature = "github"))]
        Task::VerifyTag(_) | Task::Github(_) => with_github::run(),
        Task::Workflows(args) => workflows::run(args),
        Task::Outdated(args) => outdated::run(args),
        Task::Bench(args) => bench::run(args),
    };
    // A task that ended because its children were stopped says nothing: the stop reports
    // and sets the exit status.
    interrupt::wait_if_stopping();
    match result {
        Ok(code) => code,
        Err(error) => {
            // Errors quote GitHub's answers: no line of them may run as a workflow command.
            Stream::Stderr.write_untrusted(&format!("error: {error:#}\n"));
            if Actions::from_env().is_some() {
                let annotation = Annotation {
                    level: Level::Error,
                    file: None,
                    line: None,
                    end_line: None,
                    column: None,
                    title: Some("cargo xtask".into()),
                    message: format!("{error:#}"),
                };
                // Beside --json, as the tasks' own annotations: the runner reads workflow
                // commands on stderr too, and stdout holds the JSON only.
                Stream::beside_json(asks_for_json(&matches)).write(&format!("{annotation}\n"));
            }
            ExitCode::from(failure::exit_status(&error))
        }
    }
}

/// Whether the task (at any depth of subcommands) was given `--json`.
fn asks_for_json(matches: &ArgMatches) -> bool {
    let mut matches = matches;
    loop {
        if let Ok(Some(true)) = matches.try_get_one::<bool>("json") {
            return true;
        }
        match matches.subcommand() {
            Some((_, task)) => matches = task,
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(args: &[&str]) -> bool {
        asks_for_json(&Cli::command().get_matches_from(args))
    }

    #[test]
    fn json_is_found_on_tasks_and_their_steps() {
        assert!(json(&["xtask", "ci", "--json"]));
        assert!(json(&["xtask", "coverage", "--json"]));
        assert!(json(&["xtask", "release", "plan", "--json"]));
        assert!(json(&["xtask", "bench", "coverage", "--json"]));
        assert!(!json(&["xtask", "coverage"]));
        assert!(!json(&["xtask", "release", "plan"]));
        assert!(!json(&["xtask", "bump", "patch"]));
    }
}
