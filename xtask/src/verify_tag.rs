//! `cargo xtask verify-tag`: the guard of a tag-driven release.

#[cfg(feature = "github")]
mod check;

#[cfg(feature = "github")]
pub use check::run;

use crate::context::{AppArgs, RepoArgs};

/// Check a release tag: it is `v` + the version in the app's deno.json(c) (the
/// project's, unless --app or the project's xtask.app names a monorepo's app), it points at a
/// commit on the main branch that is the one checked out, and GitHub has no published
/// release of it.
///
/// GitHub is asked when a token is set (GITHUB_TOKEN or GH_TOKEN; the repository is
/// --repo, else GITHUB_REPOSITORY, else the origin remote). Inside GitHub Actions the
/// token is required, so that the guard cannot be skipped by accident.
///
/// The main branch is origin/<main> where that exists, else <main>; a shallow clone
/// needs its history fetched (actions/checkout with fetch-depth: 0). Exit status 1
/// names every mismatch. Inside GitHub Actions the version is the step output
/// `version`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    app: AppArgs,

    /// The tag, such as v0.1.2.
    tag: String,

    /// The branch releases come from.
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    main_branch: String,

    #[command(flatten)]
    repo: RepoArgs,
}
