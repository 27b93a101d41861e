//! `--comment`: the summary as one comment on the pull request, found again by a hidden
//! marker and edited in place on every run.
//!
//! The comment is feedback, not the gate: without a token, without `pull-requests: write`
//! (403) or when GitHub fails, the run warns and the gate still decides its exit status.
//! Only input that cannot be read (`GITHUB_EVENT_PATH` unreadable, not JSON, or a
//! pull request event without a number) is an error, found before the tests run.

use anyhow::{Context, Result, anyhow, bail};
use camino::Utf8Path;
use github_actions::{Actions, Annotation, Level};
use github_api::{ApiError, GitHub, Method, RepoName, SetupError};
use serde_json::{Value, json};

use crate::output::Stream;

/// The first line of the comment, which finds it again; hidden when GitHub renders it.
pub const MARKER: &str = "<!-- cargo xtask coverage: patch coverage summary -->";

/// GitHub refuses comments longer than this.
const MAX_BODY: usize = 65_536;

/// Where the comment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Pull request `number` of `repo`.
    PullRequest {
        /// The base repository, where the pull request is.
        repo: RepoName,
        /// Its number.
        number: u64,
    },
    /// Not a pull request: why, for a note.
    Outside(String),
}

/// The pull request of this run, from `GITHUB_EVENT_PATH` (and `GITHUB_EVENT_NAME`).
pub fn target() -> Result<Target> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let Some(path) = var("GITHUB_EVENT_PATH") else {
        return Ok(Target::Outside(
            "not in a pull request (GITHUB_EVENT_PATH is not set: GitHub Actions sets it to \
             the event that started the workflow)"
                .to_owned(),
        ));
    };
    let path = Utf8Path::new(&path);
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--comment: cannot read GITHUB_EVENT_PATH={path}"))?;
    let (number, repository) = parse_event(&text, path, var("GITHUB_EVENT_NAME").as_deref())?;
    let Some(number) = number else {
        let event = var("GITHUB_EVENT_NAME").unwrap_or_default();
        return Ok(Target::Outside(format!(
            "the {event} event of this run is not a pull request"
        )));
    };
    let from_env = var("GITHUB_REPOSITORY");
    let (repo, _) =
        github_api::resolve_repo(None, from_env.as_deref().or(repository.as_deref()), || {
            Err("neither the event nor GITHUB_REPOSITORY names the repository".to_owned())
        })
        .context("--comment: which repository the pull request is in")?;
    Ok(Target::PullRequest { repo, number })
}

/// The pull request's number and base repository (`owner/name`) of an event payload;
/// `None` for an event that is not a pull request's. `event` is `GITHUB_EVENT_NAME`.
fn parse_event(
    text: &str,
    path: &Utf8Path,
    event: Option<&str>,
) -> Result<(Option<u64>, Option<String>)> {
    let payload: Value = serde_json::from_str(text).map_err(|error| {
        anyhow!("--comment: GITHUB_EVENT_PATH={path} is not an event payload (not JSON: {error})")
    })?;
    let number = payload
        .get("pull_request")
        .and_then(|pull| pull.get("number"))
        .and_then(Value::as_u64);
    let pull_request_event = matches!(event, Some("pull_request" | "pull_request_target"));
    if number.is_none() && (pull_request_event || event.is_none()) {
        bail!(
            "--comment: GITHUB_EVENT_PATH={path} is not a pull request event: it has no \
             pull_request.number{}",
            event.map_or(String::new(), |event| format!(
                " (GITHUB_EVENT_NAME is {event})"
            ))
        );
    }
    let repository = payload
        .pointer("/pull_request/base/repo/full_name")
        .or_else(|| payload.pointer("/repository/full_name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((number, repository))
}

/// Writes `summary` as the pull request's coverage comment, or says why not.
pub fn post(target: &Target, summary: &str, stream: Stream) {
    let (repo, number) = match target {
        Target::PullRequest { repo, number } => (repo, *number),
        Target::Outside(why) => {
            eprintln!("note: --comment: {why}, so no comment was written");
            return;
        }
    };
    let github = match GitHub::from_env() {
        Ok(github) => github.with_retry_notice(|line| eprintln!("{line}")),
        Err(SetupError::NoToken) => {
            return warn(
                stream,
                "no GitHub token, so the summary was not written to the pull request: set \
                 GITHUB_TOKEN (in a workflow, `GITHUB_TOKEN: ${{ github.token }}` in the \
                 step's env, and `permissions: pull-requests: write` for the job)",
            );
        }
        Err(error) => {
            return warn(
                stream,
                &format!("the summary was not written to the pull request: {error}"),
            );
        }
    };
    let body = comment_body(summary);
    match upsert(&github, repo, number, &body) {
        Ok((verb, url)) => eprintln!("pull request comment: {verb} {}", github.redact(&url)),
        Err(error) => {
            let why = if error.is_forbidden() {
                " (the token may not write pull requests: in a workflow, grant the job \
                 `permissions: pull-requests: write`; a pull request from a fork gets a \
                 read-only token)"
            } else {
                ""
            };
            warn(
                stream,
                &format!(
                    "the summary was not written to pull request #{number} of {repo}: \
                     {error}{why}"
                ),
            );
        }
    }
}

/// The marker, then the summary, within GitHub's limit.
fn comment_body(summary: &str) -> String {
    let mut body = format!("{MARKER}\n{summary}");
    if body.len() > MAX_BODY {
        const CUT: &str =
            "\n\n… (cut to GitHub's limit: the whole summary is summary.md of the reports)\n";
        let mut end = MAX_BODY - CUT.len();
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
        body.push_str(CUT);
    }
    body
}

/// Edits the comment that starts with the marker, else creates it; what was done and the
/// comment's URL.
fn upsert(
    github: &GitHub,
    repo: &RepoName,
    number: u64,
    body: &str,
) -> Result<(&'static str, String), ApiError> {
    let payload = json!({ "body": body });
    let mut attempt = 1;
    loop {
        if let Some(id) = find(github, repo, number)? {
            let path = format!("{}/issues/comments/{id}", repo.api_path());
            let comment = github.request(Method::Patch, &path, Some(&payload))?;
            return Ok(("updated", url(&comment.body)));
        }
        let path = format!("{}/issues/{number}/comments", repo.api_path());
        match github.request_once(Method::Post, &path, Some(&payload)) {
            Ok(comment) => return Ok(("created", url(&comment.body))),
            // A refusal stays one; anything else may have created the comment after
            // all, which the next attempt finds before it creates another.
            Err(error) if refused(&error) => return Err(error),
            Err(error) => {
                github.wait_to_retry(attempt, error)?;
                attempt += 1;
            }
        }
    }
}

/// The id of the oldest comment of the pull request that starts with the marker.
fn find(github: &GitHub, repo: &RepoName, number: u64) -> Result<Option<u64>, ApiError> {
    const PER_PAGE: usize = 100;
    for page in 1.. {
        let path = format!(
            "{}/issues/{number}/comments?per_page={PER_PAGE}&page={page}",
            repo.api_path()
        );
        let comments = github.get(&path)?;
        let comments = comments.as_array().cloned().unwrap_or_default();
        // Only the start counts: a reply quoting the comment holds the marker too.
        let found = comments.iter().find(|comment| {
            comment["body"]
                .as_str()
                .is_some_and(|body| body.starts_with(MARKER))
        });
        if let Some(id) = found.and_then(|comment| comment["id"].as_u64()) {
            return Ok(Some(id));
        }
        if comments.len() < PER_PAGE {
            break;
        }
    }
    Ok(None)
}

/// Whether GitHub refused the call for good: a 4xx that is not a rate limit.
fn refused(error: &ApiError) -> bool {
    matches!(error, ApiError::Status { status, rate_limit: None, .. } if *status < 500)
}

fn url(comment: &Value) -> String {
    comment["html_url"].as_str().unwrap_or_default().to_owned()
}

/// A warning on stderr, and inside GitHub Actions an annotation too.
fn warn(stream: Stream, message: &str) {
    eprintln!("warning: --comment: {message}");
    if Actions::from_env().is_some() {
        let annotation = Annotation {
            level: Level::Warning,
            file: None,
            line: None,
            end_line: None,
            column: None,
            title: Some("coverage --comment".to_owned()),
            message: message.to_owned(),
        };
        stream.write(&format!("{annotation}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str, name: Option<&str>) -> Result<(Option<u64>, Option<String>), String> {
        parse_event(text, Utf8Path::new("/e.json"), name).map_err(|e| e.to_string())
    }

    #[test]
    fn the_pull_request_of_an_event() {
        let pull = r#"{"action":"synchronize","number":7,"pull_request":{"number":7,"base":{"repo":{"full_name":"octo/kato"}}},"repository":{"full_name":"octo/kato"}}"#;
        assert_eq!(
            event(pull, Some("pull_request")).unwrap(),
            (Some(7), Some("octo/kato".to_owned()))
        );
        assert_eq!(event(pull, None).unwrap().0, Some(7));
        let push = r#"{"ref":"refs/heads/main","repository":{"full_name":"octo/kato"}}"#;
        assert_eq!(
            event(push, Some("push")).unwrap(),
            (None, Some("octo/kato".to_owned()))
        );
    }

    #[test]
    fn events_that_cannot_be_read_are_named() {
        assert!(event("{", Some("pull_request")).unwrap_err().starts_with(
            "--comment: GITHUB_EVENT_PATH=/e.json is not an event payload (not JSON:"
        ));
        assert_eq!(
            event(r#"{"pull_request":{}}"#, Some("pull_request")).unwrap_err(),
            "--comment: GITHUB_EVENT_PATH=/e.json is not a pull request event: it has no \
             pull_request.number (GITHUB_EVENT_NAME is pull_request)"
        );
        assert_eq!(
            event("[]", None).unwrap_err(),
            "--comment: GITHUB_EVENT_PATH=/e.json is not a pull request event: it has no \
             pull_request.number"
        );
    }

    #[test]
    fn the_body_starts_with_the_marker_and_fits_githubs_limit() {
        assert_eq!(comment_body("### ok\n"), format!("{MARKER}\n### ok\n"));
        let long = comment_body(&"é".repeat(MAX_BODY));
        assert!(long.len() <= MAX_BODY, "{}", long.len());
        assert!(long.starts_with(MARKER));
        assert!(long.ends_with("summary.md of the reports)\n"));
    }
}
