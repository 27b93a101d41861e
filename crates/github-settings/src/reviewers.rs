//! Required reviewers by name (`--reviewer LOGIN`, `--reviewer ORG/TEAM`), resolved to
//! the ids the environment API takes.

use std::fmt;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use github_api::{ApiError, Fields, GitHub, Method, path_segment, valid_owner};

use crate::plan::{Current, Reviewer, ReviewerKind, current_reviewers};

/// A reviewer as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewerName {
    /// A user's login.
    User(String),
    /// A team: the organization's login and the team's slug.
    Team {
        /// The organization.
        org: String,
        /// The team's slug.
        slug: String,
    },
}

impl fmt::Display for ReviewerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewerName::User(login) => f.write_str(login),
            ReviewerName::Team { org, slug } => write!(f, "{org}/{slug}"),
        }
    }
}

impl FromStr for ReviewerName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let valid_slug = |slug: &str| {
            !slug.is_empty()
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        match text.split_once('/') {
            None if valid_owner(text) => Ok(ReviewerName::User(text.to_owned())),
            Some((org, slug)) if valid_owner(org) && valid_slug(slug) => Ok(ReviewerName::Team {
                org: org.to_owned(),
                slug: slug.to_owned(),
            }),
            _ => Err(format!(
                "{text:?} is not a reviewer: expected a user's LOGIN or a team's ORG/TEAM"
            )),
        }
    }
}

/// The most required reviewers an environment takes.
const MAX_REVIEWERS: usize = 6;

/// The names given, each once (GitHub's names are not case-sensitive), refused when they
/// are more than an environment takes.
pub fn distinct_reviewers(names: &[ReviewerName]) -> Result<Vec<ReviewerName>> {
    let mut distinct: Vec<ReviewerName> = Vec::new();
    for name in names {
        let key = name.to_string().to_lowercase();
        if !distinct
            .iter()
            .any(|seen| seen.to_string().to_lowercase() == key)
        {
            distinct.push(name.clone());
        }
    }
    if distinct.len() > MAX_REVIEWERS {
        bail!(
            "{} reviewers given: an environment takes at most {MAX_REVIEWERS}",
            distinct.len()
        );
    }
    Ok(distinct)
}

/// The required reviewers of the environment: the names given, looked up; without names,
/// the environment's current ones, refused when it has none.
pub fn choose_reviewers(
    github: &GitHub,
    names: &[ReviewerName],
    current: &Current,
    environment: &str,
) -> Result<Vec<Reviewer>> {
    if !names.is_empty() {
        return resolve(github, names);
    }
    let kept = match &current.environment {
        Some(environment) => current_reviewers(environment).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    if kept.is_empty() {
        bail!(
            "the environment {environment} has no required reviewers: name them with \
             --reviewer LOGIN or --reviewer ORG/TEAM (repeatable)"
        );
    }
    Ok(kept)
}

/// Each name looked up (`GET /users/{login}`, `GET /orgs/{org}/teams/{slug}`). Every name
/// that is not a user or team is reported at once, before anything is changed.
fn resolve(github: &GitHub, names: &[ReviewerName]) -> Result<Vec<Reviewer>> {
    let mut reviewers = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        let (kind, path) = match name {
            ReviewerName::User(login) => (
                ReviewerKind::User,
                format!("/users/{}", path_segment(login)),
            ),
            ReviewerName::Team { org, slug } => (
                ReviewerKind::Team,
                format!("/orgs/{}/teams/{}", path_segment(org), path_segment(slug)),
            ),
        };
        match github.get(&path) {
            Ok(found) => {
                let read = || {
                    let fields = Fields::of(
                        &found,
                        match kind {
                            ReviewerKind::User => "the user",
                            ReviewerKind::Team => "the team",
                        },
                    )?;
                    Ok::<_, String>((fields.optional_str("type")?, fields.u64("id")?))
                };
                let (account, id) = read().map_err(|message| ApiError::Unreadable {
                    method: Method::Get,
                    path: path.clone(),
                    status: 200,
                    message,
                })?;
                if kind == ReviewerKind::User && account == Some("Organization") {
                    unknown.push(format!(
                        "{name} is an organization, not a user: name one of its teams as \
                         {name}/TEAM"
                    ));
                } else {
                    reviewers.push(Reviewer {
                        kind,
                        id,
                        name: name.to_string(),
                    });
                }
            }
            Err(error) if error.status() == Some(404) => unknown.push(match name {
                ReviewerName::User(login) => format!("no GitHub user is named {login}"),
                ReviewerName::Team { org, slug } => format!(
                    "no team {slug} in the organization {org} (or the token may not see its \
                     teams: a classic token needs read:org)"
                ),
            }),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot look up the reviewer {name}"));
            }
        }
    }
    if !unknown.is_empty() {
        let mut message = "unknown reviewers; nothing was changed:".to_owned();
        for problem in &unknown {
            message.push_str(&format!("\n  - {problem}"));
        }
        bail!(message);
    }
    Ok(reviewers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_teams() {
        assert_eq!(
            "octocat".parse::<ReviewerName>(),
            Ok(ReviewerName::User("octocat".into()))
        );
        assert_eq!(
            "acme/release-managers".parse::<ReviewerName>(),
            Ok(ReviewerName::Team {
                org: "acme".into(),
                slug: "release-managers".into()
            })
        );
        assert_eq!(
            "acme/release-managers"
                .parse::<ReviewerName>()
                .unwrap()
                .to_string(),
            "acme/release-managers"
        );
        for bad in ["", "-x", "a/b/c", "acme/", "a b", "@octocat"] {
            let error = bad.parse::<ReviewerName>().unwrap_err();
            assert!(
                error.contains("expected a user's LOGIN or a team's ORG/TEAM"),
                "{bad}"
            );
        }
    }
}
