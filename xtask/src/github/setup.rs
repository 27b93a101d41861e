//! `cargo xtask github setup`: branch protection requiring the CI checks, and the
//! release environment with required reviewers.

use std::process::ExitCode;

use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};
use github_api::{GitHub, RepoName, RepoSource};
use github_settings::{
    Applied, Call, Desired, Repository, ReviewerName, apply, choose_reviewers, distinct_reviewers,
    plan, read_current,
};

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
    let repository = Repository::read(&github, repo)?;
    let current = read_current(&github, &repository, &args.branch, &args.environment)?;
    let reviewers = choose_reviewers(&github, &names, &current, &args.environment)?;
    let desired = Desired {
        branch: args.branch.clone(),
        checks,
        approvals: args.required_approvals,
        environment: args.environment.clone(),
        reviewers,
        deploy_from: Desired::release_refs(&args.branch),
    };
    let calls = plan(repository.name(), &desired, &current);
    if calls.is_empty() {
        say(&format!(
            "nothing to change: the protection of {} and the environment {} are as required\n",
            args.branch, args.environment
        ));
    } else if args.dry_run {
        print_calls(&calls);
    } else {
        apply(&github, &repository, &calls, say_applied)?;
        say_made(repository.name(), calls.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn read_required_checks(workflow: &Utf8Path) -> Result<Vec<String>> {
    Ok(workflow_rules::Workflow::read(workflow)?.required_checks()?)
}

/// `--repo`, else `GITHUB_REPOSITORY`, else the origin remote of the current directory.
fn repository(flag: Option<&str>) -> Result<(RepoName, RepoSource)> {
    context::github_repo(flag, &context::current_dir()?)
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

/// Each call as it is made: what it changes, then GitHub's answer.
fn say_applied(applied: Applied<'_>) {
    match applied {
        Applied::Making(call) => say(&format!("{}\n", call.summary)),
        Applied::Made(call, status) => say(&format!("  {} {}: {status}\n", call.method, call.path)),
        Applied::AlreadyThere(call) => {
            say(&format!("  {} {}: already there\n", call.method, call.path))
        }
    }
}

fn say_made(repo: &RepoName, changes: usize) {
    say(&format!(
        "{changes} {} made to {repo}\n",
        if changes == 1 { "change" } else { "changes" }
    ));
}

/// What the task says, which names what GitHub holds (checks, reviewers, policies).
fn say(text: &str) {
    Stream::Stdout.write_untrusted(text);
}
