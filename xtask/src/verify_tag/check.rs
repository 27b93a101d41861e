//! The flow of `verify-tag`, GitHub's side included.

use std::process::ExitCode;

use anyhow::Result;
use camino::Utf8Path;
use github_actions::Actions;
use version_check::{ReleaseFacts, Repository, check_tag};

use super::Args;
use crate::context;
use crate::failure::{check_failed, problems};
use crate::output::Stream;
use crate::unpublished;

pub fn run(args: &Args) -> Result<ExitCode> {
    let app = args.app.open()?;
    let tag = &args.tag;
    let version = check_tag(tag, app.version(), app.config_path()).map_err(check_failed)?;
    let repo = Repository::open(app.dir())?;
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
    not_published(app.dir(), args.repo.repo.as_deref(), tag, commit)?;
    Stream::Stdout.write(&format!(
        "{tag} matches version {version} in {} and points at {} on {}\n",
        app.config_path(),
        &commit[..commit.len().min(12)],
        main.name
    ));
    if let Some(actions) = Actions::from_env() {
        actions.set_output("version", &version.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// GitHub's side: no published release of `tag`, and the tag there (if pushed) at
/// `commit`. Skipped, and said so, without a token outside GitHub Actions.
fn not_published(dir: &Utf8Path, repo: Option<&str>, tag: &str, commit: &str) -> Result<()> {
    if github_api::Token::from_env().is_err() && Actions::from_env().is_none() {
        eprintln!("no GITHUB_TOKEN: GitHub was not asked whether {tag} is published");
        return Ok(());
    }
    let (repo, _) = context::github_repo(repo, dir)?;
    let github = unpublished::client()?;
    unpublished::check(&github, &repo, tag, commit)
}
