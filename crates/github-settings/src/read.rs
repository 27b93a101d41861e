//! The settings as they are: the repository, the branch's protection, the environment
//! and its deployment policies, read from GitHub.

use anyhow::{Context, Result, bail};
use github_api::{ApiError, GitHub, Method, RepoName};

use crate::access::{admin_error, lacks_admin};
use crate::plan::{
    Current, current_reviewers, environment_path, parse_policies, policies_path, protection_path,
    takes_custom_policies,
};

/// The repository whose settings are read and changed, as GitHub showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    name: RepoName,
    /// What GitHub says of the token's user being an admin of it, when it says: a
    /// refusal for want of admin rights is explained with it.
    user_is_admin: Option<bool>,
}

impl Repository {
    /// Checks that the repository is there and the token may see it (`GET
    /// /repos/{owner}/{name}`).
    pub fn read(github: &GitHub, name: RepoName) -> Result<Repository> {
        match github.get(&name.api_path()) {
            Ok(answer) => Ok(Repository {
                user_is_admin: answer["permissions"]["admin"].as_bool(),
                name,
            }),
            Err(error) if error.status() == Some(404) => {
                bail!("{name} does not exist, or the token may not see it ({error})")
            }
            Err(error) if error.status() == Some(401) => bail!(
                "GitHub refused the token ({error}): set GITHUB_TOKEN (or GH_TOKEN) to a valid token"
            ),
            Err(error) => Err(error).with_context(|| format!("cannot read the repository {name}")),
        }
    }

    /// Its name.
    pub fn name(&self) -> &RepoName {
        &self.name
    }

    /// The message for `error`, a refusal for want of admin rights.
    pub(crate) fn admin_error(&self, error: &ApiError) -> String {
        admin_error(&self.name, error, self.user_is_admin)
    }
}

/// The protection of `branch`, the environment `environment` and its policies, as they
/// are. An answer that cannot be read is an error: what it holds would be lost by the
/// next change.
pub fn read_current(
    github: &GitHub,
    repository: &Repository,
    branch: &str,
    environment: &str,
) -> Result<Current> {
    let repo = repository.name();
    let protection = match github.get(&protection_path(repo, branch)) {
        Ok(protection) => Some(protection),
        Err(error) if error.status() == Some(404) && error.message() == "Branch not protected" => {
            None
        }
        Err(error) if error.status() == Some(404) && error.message() == "Branch not found" => {
            bail!("{repo} has no branch {branch} (--branch names the branch to protect)")
        }
        Err(error) if lacks_admin(&error, true) => bail!(repository.admin_error(&error)),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read the protection of {branch}"));
        }
    };
    let name = environment;
    let path = environment_path(repo, name);
    let environment = match github.get(&path) {
        Ok(environment) => Some(environment),
        Err(error) if error.status() == Some(404) => None,
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read the environment {name}"));
        }
    };
    if let Some(environment) = &environment {
        current_reviewers(environment).map_err(|why| unreadable(&path, why))?;
    }
    let policies = match &environment {
        Some(environment) if takes_custom_policies(environment) => {
            let path = policies_path(repo, name);
            let listed = github
                .list(&path, Some("branch_policies"))
                .with_context(|| format!("cannot read the deployment policies of {name}"))?;
            parse_policies(&listed).map_err(|why| unreadable(&path, why))?
        }
        _ => Vec::new(),
    };
    Ok(Current {
        protection,
        environment,
        policies,
    })
}

/// The error for a `GET path` answer that cannot be read, and why.
fn unreadable(path: &str, why: String) -> ApiError {
    ApiError::Unreadable {
        method: Method::Get,
        path: path.to_owned(),
        status: 200,
        message: why,
    }
}
