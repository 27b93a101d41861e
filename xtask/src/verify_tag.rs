//! `cargo xtask verify-tag`: the guard of a tag-driven release.

use std::process::ExitCode;

use anyhow::Result;
use camino::Utf8Path;
use github_actions::Actions;
use version_check::{ReleaseFacts, Repository, check_tag};

use crate::context;
use crate::failure::{check_failed, problems};
use crate::output::Stream;

/// Check a release tag: it is `v` + the version in deno.json(c), and it points at a
/// commit on the main branch that is the one checked out.
///
/// The main branch is origin/<main> where that exists, else <main>; a shallow clone
/// needs its history fetched (actions/checkout with fetch-depth: 0). Exit status 1
/// names every mismatch. Inside GitHub Actions the version is the step output
/// `version`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tag, such as v0.1.2.
    tag: String,

    /// The branch releases come from.
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    main_branch: String,
}

pub fn run(project: Option<&Utf8Path>, args: &Args) -> Result<ExitCode> {
    let project = context::open_project(project)?;
    let tag = &args.tag;
    let version = check_tag(
        tag,
        project.config().version.as_deref(),
        project.config_path(),
    )
    .map_err(check_failed)?;
    let repo = Repository::open(project.dir())?;
    if repo.tag_commit(tag)?.is_none() {
        return Err(check_failed(format!(
            "the tag {tag} does not exist in {}: create it (git tag -a {tag}) or fetch the tags \
             (git fetch --tags)",
            repo.root()
        )));
    }
    let facts = ReleaseFacts::gather(&repo, &format!("refs/tags/{tag}"), &args.main_branch, None)?;
    let found = facts.commit_problems();
    if !found.is_empty() {
        return Err(problems(
            &format!("the tag {tag} cannot be released:"),
            &found,
        ));
    }
    let main = facts
        .main
        .as_ref()
        .expect("no problems means a main branch");
    let commit = facts.ref_commit.as_deref().unwrap_or_default();
    Stream::Stdout.write(&format!(
        "{tag} matches version {version} in {} and points at {} on {}\n",
        project.config_path(),
        &commit[..commit.len().min(12)],
        main.name
    ));
    if let Some(actions) = Actions::from_env() {
        actions.set_output("version", &version.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}
