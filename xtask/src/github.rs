//! `cargo xtask github`: the repository's settings on GitHub.

#[cfg(feature = "github")]
mod setup;

#[cfg(feature = "github")]
use std::process::ExitCode;

#[cfg(feature = "github")]
use anyhow::Result;

/// Set up the repository on GitHub: branch protection requiring the CI checks, and the
/// release environment with required reviewers.
#[cfg(feature = "github")]
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    task: GithubTask,
}

#[cfg(feature = "github")]
#[derive(Debug, clap::Subcommand)]
enum GithubTask {
    Setup(setup::Args),
}

#[cfg(feature = "github")]
pub fn run(args: &Args) -> Result<ExitCode> {
    match &args.task {
        GithubTask::Setup(setup) => setup::run(setup),
    }
}

/// Set up the repository on GitHub: branch protection requiring the CI checks, and the
/// release environment with required reviewers.
///
/// The task and its options are read by xtask-github, the build with the GitHub client,
/// compiled on first use; `cargo xtask github setup --help` lists them.
#[cfg(not(feature = "github"))]
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub struct Args {
    /// setup, and its options.
    #[arg(
        value_name = "TASK",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    _task: Vec<std::ffi::OsString>,
}
