//! What `release` and `verify-tag` ask of GitHub before anything changes: the client that
//! publishes, and GitHub's side of the preflight.

use anyhow::{Result, anyhow};
use github_api::{GitHub, RepoName, SetupError};
use release_publisher::ReleaseSpec;

use crate::failure::check_failed;

/// The GitHub client for publishing; retries are said on stderr.
pub fn client() -> Result<GitHub> {
    let github = GitHub::from_env().map_err(|error| match error {
        SetupError::NoToken => anyhow!(
            "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that may write the \
             repository's contents (in a workflow: `permissions: contents: write`, and \
             `GITHUB_TOKEN: ${{{{ github.token }}}}` in the step's env); nothing was published"
        ),
        other => other.into(),
    })?;
    Ok(github.with_retry_notice(|line| eprintln!("{line}")))
}

/// GitHub's side of the preflight: no published release of `tag`, the tag (if any) at
/// `commit`. Refusals exit with 1 and change nothing.
pub fn check(github: &GitHub, repo: &RepoName, tag: &str, commit: &str) -> Result<()> {
    let spec = ReleaseSpec {
        repo: repo.clone(),
        tag: tag.to_owned(),
        commit: commit.to_owned(),
        title: String::new(),
        notes: String::new(),
        assets: Vec::new(),
        prerelease: false,
    };
    match release_publisher::remote_preflight(github, &spec) {
        Ok(start) => {
            eprintln!(
                "GitHub ({repo}): {tag} is not published{}",
                if start.draft.is_some() {
                    "; a draft of it will be resumed"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Err(error) => Err(check_failed(format!("{error}\nNothing was changed."))),
    }
}
