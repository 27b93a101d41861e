//! `cargo xtask outdated`: `deno outdated` on the project, for the runbook's manual
//! dependency-update routine.

use std::process::ExitCode;

use anyhow::{Context, Result};
use deno_runner::Invocation;

use crate::context::{self, ProjectArgs};

/// List the project's dependencies that have newer versions (`deno outdated`).
///
/// `cargo xtask outdated --latest` also shows versions beyond the ranges in deno.json;
/// `cargo xtask outdated --update --latest` rewrites deno.json and deno.lock (then run
/// `cargo xtask ci` and commit both files). deno reads the npm registry and jsr.io.
///
/// The output is deno's own; the exit status is deno's.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: ProjectArgs,

    /// Update the dependencies in deno.json and deno.lock (`deno outdated --update`).
    #[arg(long)]
    update: bool,

    /// Consider the latest versions, beyond the ranges deno.json allows.
    #[arg(long)]
    latest: bool,

    /// Choose the updates one by one (with --update).
    #[arg(long, requires = "update")]
    interactive: bool,

    /// Only these packages (deno's filters: `zod`, `npm:*`, `!@std/*`).
    #[arg(value_name = "FILTER")]
    filters: Vec<String>,
}

impl Args {
    fn deno_args(&self) -> Vec<String> {
        let flags = [
            (self.update, "--update"),
            (self.latest, "--latest"),
            (self.interactive, "--interactive"),
        ];
        flags
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, flag)| flag.to_owned())
            .chain(self.filters.iter().cloned())
            .collect()
    }
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let project = args.project.open()?;
    let deno = context::deno()?;
    let invocation = Invocation::outdated(project.dir(), &args.deno_args());
    eprintln!("running {invocation} in {}", project.dir());
    // Inherited stdio: deno's table as it prints it, and its prompts with --interactive.
    let status = deno
        .command(&invocation)?
        .status()
        .with_context(|| format!("cannot run {invocation}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::from(1),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Args;

    #[derive(Parser)]
    struct Outdated {
        #[command(flatten)]
        args: Args,
    }

    /// deno's arguments for `cargo xtask outdated <args>`.
    fn deno_args(args: &[&str]) -> Vec<String> {
        let argv = std::iter::once("outdated").chain(args.iter().copied());
        Outdated::try_parse_from(argv).unwrap().args.deno_args()
    }

    #[test]
    fn flags_and_filters_map_to_deno_outdated() {
        assert!(deno_args(&[]).is_empty());
        assert_eq!(deno_args(&["--latest"]), ["--latest"]);
        assert_eq!(deno_args(&["--update"]), ["--update"]);
        assert_eq!(
            deno_args(&["--update", "--interactive"]),
            ["--update", "--interactive"]
        );
        // deno's order whatever the user's; filters last, as given.
        assert_eq!(
            deno_args(&["zod", "--interactive", "--latest", "--update", "!@std/*"]),
            ["--update", "--latest", "--interactive", "zod", "!@std/*"]
        );
        assert_eq!(deno_args(&["npm:*"]), ["npm:*"]);
    }

    #[test]
    fn interactive_needs_update() {
        let argv = ["outdated", "--interactive"];
        let error = Outdated::try_parse_from(argv).err().unwrap();
        assert_eq!(
            error.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
    }
}
