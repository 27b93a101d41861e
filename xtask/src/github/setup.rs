//! `cargo xtask github setup`: branch protection requiring the CI checks, and the
//! release environment with required reviewers.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use github_api::{ApiError, GitHub, Method, RepoName, RepoSource};

use super::access::{admin_error, lacks_admin};
use super::plan::{
    Call, Current, Desired, Reviewer, current_reviewers, environment_path, parse_policies, plan,
    policies_path, protection_path, takes_custom_policies,
};
use super::reviewers::{self, MAX_REVIEWERS, ReviewerName};
use crate::context;
use crate::output::Stream;

/// Protect the main branch and set up the release environment, as the runbook asks.
///
/// Branch protection on --branch: the jobs of the CI workflow are required checks (a
/// job's check is its `name:`, else its id) with the branch up to date before merging;
/// pull requests need --required-approvals approving reviews; administrators are
/// included; force pushes and deletion are forbidden. Other protection settings keep
/// their values.
///
/// The environment --environment (release): the required reviewers given by --reviewer
/// (looked up by name; without --reviewer the environment's current ones are kept), and
/// deployments only from --branch and tags v*.
///
/// The current settings are read first and only what differs is changed, so a second
/// run changes nothing. With --dry-run the reads are still made (GET) to know what
/// differs, and each call that would change something is printed with its JSON body
/// instead of being made.
///
/// GitHub: the token is GITHUB_TOKEN, else GH_TOKEN; it needs admin rights on the
/// repository (fine-grained: "Administration: Read and write"; classic: the repo scope
/// and an admin user). The API is GITHUB_API_URL, else https://api.github.com.
///
/// Exit status: 0 done (or nothing to do), 2 bad input or environment: no token, a bad
/// repository, an unknown reviewer, a token without admin rights, a workflow whose
/// checks cannot be required.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The repository. Default: $GITHUB_REPOSITORY, else the origin remote of the git
    /// repository in the current directory.
    #[arg(long, value_name = "OWNER/NAME")]
    repo: Option<String>,

    /// The branch to protect, which releases deploy from.
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    branch: String,

    /// Approving reviews a pull request needs before merging (0 to 6).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(0..=6))]
    required_approvals: u32,

    /// A required reviewer of the environment: a user's LOGIN or a team's ORG/TEAM.
    /// Repeatable, at most 6. Default: the environment's current reviewers.
    #[arg(long = "reviewer", value_name = "LOGIN|ORG/TEAM")]
    reviewers: Vec<ReviewerName>,

    /// The environment releases deploy to.
    #[arg(long, value_name = "NAME", default_value = "release")]
    environment: String,

    /// The workflow whose jobs are the required checks.
    #[arg(long, value_name = "FILE", default_value_t = default_workflow())]
    workflow: Utf8PathBuf,

    /// Print the calls that would change something, with their bodies, and make none.
    /// The current settings are still read.
    #[arg(long)]
    dry_run: bool,
}

fn default_workflow() -> Utf8PathBuf {
    context::repo_root().join(".github/workflows/ci.yml")
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let checks = read_required_checks(&context::absolute(&args.workflow)?)?;
    let names = distinct_reviewers(&args.reviewers)?;
    let github = GitHub::from_env()?;
    let (repo, source) = repository(args.repo.as_deref())?;
    say(&format!(
        "{repo} (from {source}) through {}\n",
        github.api_url()
    ));
    let user_is_admin = read_repository(&github, &repo)?;
    let current = read_current(&github, &repo, args, user_is_admin)?;
    let reviewers = choose_reviewers(&github, &names, &current, &args.environment)?;
    let desired = Desired {
        branch: args.branch.clone(),
        checks,
        approvals: args.required_approvals,
        environment: args.environment.clone(),
        reviewers,
        deploy_from: Desired::release_refs(&args.branch),
    };
    let calls = plan(&repo, &desired, &current);
    if calls.is_empty() {
        say(&format!(
            "nothing to change: the protection of {} and the environment {} are as required\n",
            args.branch, args.environment
        ));
    } else if args.dry_run {
        print_calls(&calls);
    } else {
        apply(&github, &repo, &calls, user_is_admin)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn read_required_checks(workflow: &Utf8Path) -> Result<Vec<String>> {
    Ok(workflow_rules::Workflow::read(workflow)?.required_checks()?)
}

fn distinct_reviewers(names: &[ReviewerName]) -> Result<Vec<ReviewerName>> {
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

/// `--repo`, else `GITHUB_REPOSITORY`, else the origin remote of the current directory.
fn repository(flag: Option<&str>) -> Result<(RepoName, RepoSource)> {
    context::github_repo(flag, &context::current_dir()?)
}

/// Checks that the repository is there; returns what GitHub says of the token's user
/// being an admin of it, when it says.
fn read_repository(github: &GitHub, repo: &RepoName) -> Result<Option<bool>> {
    match github.get(&repo.api_path()) {
        Ok(answer) => Ok(answer["permissions"]["admin"].as_bool()),
        Err(error) if error.status() == Some(404) => {
            bail!("{repo} does not exist, or the token may not see it ({error})")
        }
        Err(error) if error.status() == Some(401) => bail!(
            "GitHub refused the token ({error}): set GITHUB_TOKEN (or GH_TOKEN) to a valid token"
        ),
        Err(error) => Err(error).with_context(|| format!("cannot read the repository {repo}")),
    }
}

/// The protection of the branch, the environment and its policies, as they are.
fn read_current(
    github: &GitHub,
    repo: &RepoName,
    args: &Args,
    user_is_admin: Option<bool>,
) -> Result<Current> {
    let branch = &args.branch;
    let protection = match github.get(&protection_path(repo, branch)) {
        Ok(protection) => Some(protection),
        Err(error) if error.status() == Some(404) && error.message() == "Branch not protected" => {
            None
        }
        Err(error) if error.status() == Some(404) && error.message() == "Branch not found" => {
            bail!("{repo} has no branch {branch} (--branch names the branch to protect)")
        }
        Err(error) if lacks_admin(&error, true) => {
            bail!(admin_error(repo, &error, user_is_admin))
        }
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read the protection of {branch}"));
        }
    };
    let path = environment_path(repo, &args.environment);
    let environment = match github.get(&path) {
        Ok(environment) => Some(environment),
        Err(error) if error.status() == Some(404) => None,
        Err(error) => {
            return Err(error)
                .with_context(|| format!("cannot read the environment {}", args.environment));
        }
    };
    if let Some(environment) = &environment {
        current_reviewers(environment).map_err(|why| unreadable(&path, why))?;
    }
    let policies = match &environment {
        Some(environment) if takes_custom_policies(environment) => {
            let path = policies_path(repo, &args.environment);
            let listed = github
                .list(&path, Some("branch_policies"))
                .with_context(|| {
                    format!(
                        "cannot read the deployment policies of {}",
                        args.environment
                    )
                })?;
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

/// The reviewers named, looked up; without names, the environment's current ones.
fn choose_reviewers(
    github: &GitHub,
    names: &[ReviewerName],
    current: &Current,
    environment: &str,
) -> Result<Vec<Reviewer>> {
    if !names.is_empty() {
        return reviewers::resolve(github, names);
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

fn print_calls(calls: &[Call]) {
    let mut text = match calls.len() {
        1 => "dry run, nothing is changed: this call would be made\n".to_owned(),
        n => format!("dry run, nothing is changed: these {n} calls would be made\n"),
    };
    for call in calls {
        text.push_str(&format!(
            "\n{}\n{} {}\n",
            call.summary, call.method, call.path
        ));
        if let Some(body) = &call.body {
            let json = serde_json::to_string_pretty(body).expect("JSON values serialize");
            text.push_str(&format!("{json}\n"));
        }
    }
    say(&text);
}

/// Makes the calls in order, saying each; stops at the first failure, saying what was
/// done.
fn apply(
    github: &GitHub,
    repo: &RepoName,
    calls: &[Call],
    user_is_admin: Option<bool>,
) -> Result<()> {
    for (done, call) in calls.iter().enumerate() {
        say(&format!("{}\n", call.summary));
        match github.request(call.method, &call.path, call.body.as_ref()) {
            // 303 to a POST: a deployment policy with that pattern was there already.
            Err(error) if error.status() == Some(303) && call.method == Method::Post => {
                say(&format!("  {} {}: already there\n", call.method, call.path))
            }
            Ok(answer) => say(&format!(
                "  {} {}: {}\n",
                call.method, call.path, answer.status
            )),
            Err(error) => {
                // A call refused (4xx) changed nothing; one that failed otherwise may have.
                let perhaps = github.writes_made() > done as u64;
                let made = match (done, perhaps) {
                    (0, false) => "nothing was changed".to_owned(),
                    (n, false) => format!(
                        "{n} of {} changes were made; run again to make the rest",
                        calls.len()
                    ),
                    (n, true) => format!(
                        "{n} of {} changes were made, and perhaps the one that failed; run \
                         again to make the rest",
                        calls.len()
                    ),
                };
                if lacks_admin(&error, call.path.ends_with("/protection")) {
                    bail!("{}\n{made}", admin_error(repo, &error, user_is_admin));
                }
                bail!("{error}\n{made}");
            }
        }
    }
    say(&format!(
        "{} {} made to {repo}\n",
        calls.len(),
        if calls.len() == 1 {
            "change"
        } else {
            "changes"
        }
    ));
    Ok(())
}

/// What the task says, which names what GitHub holds (checks, reviewers, policies).
fn say(text: &str) {
    Stream::Stdout.write_untrusted(text);
}
