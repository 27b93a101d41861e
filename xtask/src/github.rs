//! `cargo xtask github`: the repository's settings on GitHub.

mod setup;

use std::process::ExitCode;

use anyhow::Result;

/// Set up the repository on GitHub: branch protection requiring the CI checks, and the
/// release environment with required reviewers.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    task: GithubTask,
}

#[derive(Debug, clap::Subcommand)]
enum GithubTask {
    Setup(setup::Args),
}

pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.task {
        GithubTask::Setup(setup) => setup::run(setup),
    }
}
