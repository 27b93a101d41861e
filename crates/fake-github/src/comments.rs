//! Issue comments, which are also a pull request's conversation:
//!
//! - `GET /repos/{o}/{r}/issues/{n}/comments` (oldest first, `per_page` and `page`, with
//!   a `Link` header to the next and last pages),
//! - `POST /repos/{o}/{r}/issues/{n}/comments` (`{"body": ...}`, 201),
//! - `GET` and `PATCH /repos/{o}/{r}/issues/comments/{id}` (`{"body": ...}`).
//!
//! Reading takes any token. Writing takes an admin's or a collaborator's token, or a
//! workflow's `GITHUB_TOKEN` granted `pull-requests: write` ([`State::grant_pull_requests`]);
//! any other token is refused with 403, as GitHub refuses it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::router::{Reply, Request, percent_decode};
use crate::state::{Access, State};

/// The login GitHub shows for comments made with a workflow's token.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// A comment on an issue or a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComment {
    /// Its id.
    pub id: u64,
    /// Who wrote it.
    pub user: String,
    /// Its Markdown.
    pub body: String,
    /// How many times it was edited.
    pub edits: u32,
}

/// The pull requests the server knows and their comments, and the tokens that may write
/// them.
#[derive(Debug, Default)]
pub struct Conversations {
    /// Comments by lowercase `(owner, repo)` and number, oldest first.
    threads: BTreeMap<(String, String, u64), Vec<IssueComment>>,
    /// Tokens granted `pull-requests: write`.
    writers: BTreeSet<String>,
}

impl State {
    /// Opens pull request `number` in `owner/repo` (which must exist), without comments.
    pub fn add_pull_request(&mut self, owner: &str, repo: &str, number: u64) -> &mut Self {
        assert!(
            self.repo(owner, repo).is_some(),
            "{owner}/{repo} is added first"
        );
        self.conversations
            .threads
            .entry(key(owner, repo, number))
            .or_default();
        self
    }

    /// Adds a comment by `user` to pull request `number`; its id.
    pub fn add_comment(
        &mut self,
        owner: &str,
        repo: &str,
        number: u64,
        user: &str,
        body: &str,
    ) -> u64 {
        let id = self.next_id();
        self.conversations
            .threads
            .get_mut(&key(owner, repo, number))
            .expect("the pull request is added first")
            .push(IssueComment {
                id,
                user: user.to_owned(),
                body: body.to_owned(),
                edits: 0,
            });
        id
    }

    /// The comments of pull request `number`, oldest first.
    pub fn comments(&self, owner: &str, repo: &str, number: u64) -> &[IssueComment] {
        self.conversations
            .threads
            .get(&key(owner, repo, number))
            .map_or(&[], Vec::as_slice)
    }

    /// Grants `token` `pull-requests: write`, as a workflow's `permissions` does.
    pub fn grant_pull_requests(&mut self, token: &str) -> &mut Self {
        self.conversations.writers.insert(token.to_owned());
        self
    }
}

fn key(owner: &str, repo: &str, number: u64) -> (String, String, u64) {
    (owner.to_lowercase(), repo.to_lowercase(), number)
}

enum Target {
    /// `/issues/{n}/comments`.
    Thread(u64),
    /// `/issues/comments/{id}`.
    Comment(u64),
}

/// The answer when `request` is for an issue-comments endpoint, else `None`.
pub fn serve(state: &mut State, request: &Request<'_>, access: Access) -> Option<Reply> {
    let segments: Vec<String> = request
        .path
        .strip_prefix('/')?
        .split('/')
        .map(percent_decode)
        .collect::<Option<_>>()?;
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (owner, repo, target) = match s.as_slice() {
        ["repos", o, r, "issues", "comments", id] => (*o, *r, Target::Comment(id.parse().ok()?)),
        ["repos", o, r, "issues", n, "comments"] => (*o, *r, Target::Thread(n.parse().ok()?)),
        _ => return None,
    };
    let Some(repository) = state.repo(owner, repo) else {
        return Some(Reply::not_found());
    };
    let full = format!("{}/{}", repository.owner, repository.name);
    let writes = request.method != "GET";
    if writes && let Some(refusal) = refuse(state, access, request.authorization) {
        return Some(refusal);
    }
    let author = match access {
        Access::Admin | Access::Collaborator | Access::AdministrationRead => {
            repository.owner.clone()
        }
        Access::ReadOnlyIntegration | Access::ContentsWrite => ACTIONS_BOT.to_owned(),
    };
    let base = request.base_url;
    Some(match (request.method, target) {
        ("GET", Target::Thread(number)) => {
            let Some(thread) = state.conversations.threads.get(&key(owner, repo, number)) else {
                return Some(Reply::not_found());
            };
            let items = thread
                .iter()
                .map(|comment| render(base, &full, number, comment))
                .collect();
            page(request, items)
        }
        ("POST", Target::Thread(number)) => {
            let body = match text_body(request.body.as_ref()) {
                Ok(body) => body,
                Err(reply) => return Some(reply),
            };
            if !state
                .conversations
                .threads
                .contains_key(&key(owner, repo, number))
            {
                return Some(Reply::not_found());
            }
            state.add_comment(owner, repo, number, &author, &body);
            let comment = state.comments(owner, repo, number).last().expect("added");
            Reply::json(201, render(base, &full, number, comment))
        }
        (method @ ("GET" | "PATCH"), Target::Comment(id)) => {
            let found = state
                .conversations
                .threads
                .iter_mut()
                .filter(|((o, r, _), _)| *o == owner.to_lowercase() && *r == repo.to_lowercase())
                .find_map(|((_, _, number), thread)| {
                    let number = *number;
                    thread
                        .iter_mut()
                        .find(|comment| comment.id == id)
                        .map(|comment| (number, comment))
                });
            let Some((number, comment)) = found else {
                return Some(Reply::not_found());
            };
            if method == "PATCH" {
                match text_body(request.body.as_ref()) {
                    Ok(body) => {
                        comment.body = body;
                        comment.edits += 1;
                    }
                    Err(reply) => return Some(reply),
                }
            }
            Reply::json(200, render(base, &full, number, comment))
        }
        _ => Reply::not_found(),
    })
}

/// GitHub's refusal of a comment write by `access`, if any.
fn refuse(state: &State, access: Access, authorization: Option<&str>) -> Option<Reply> {
    let token = authorization
        .and_then(|header| {
            header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("token "))
        })
        .map(str::trim);
    if token.is_some_and(|token| state.conversations.writers.contains(token)) {
        return None;
    }
    match access {
        Access::Admin | Access::Collaborator => None,
        Access::ReadOnlyIntegration | Access::ContentsWrite => {
            Some(Reply::error(403, "Resource not accessible by integration"))
        }
        Access::AdministrationRead => Some(Reply::error(
            403,
            "Resource not accessible by personal access token",
        )),
    }
}

/// The `body` string of a comment write; GitHub's 422 without one.
fn text_body(body: Option<&Value>) -> Result<String, Reply> {
    match body.and_then(|body| body.get("body")) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(Reply::invalid("body is not a string")),
        None => Err(Reply::invalid("\"body\" wasn't supplied.")),
    }
}

fn render(base: &str, full: &str, number: u64, comment: &IssueComment) -> Value {
    let id = comment.id;
    json!({
        "id": id,
        "node_id": format!("IC_{id}"),
        "url": format!("{base}/repos/{full}/issues/comments/{id}"),
        "html_url": format!("https://github.com/{full}/pull/{number}#issuecomment-{id}"),
        "issue_url": format!("{base}/repos/{full}/issues/{number}"),
        "body": comment.body,
        "user": {
            "login": comment.user,
            "type": if comment.user.ends_with("[bot]") { "Bot" } else { "User" },
        },
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": if comment.edits == 0 { "2026-01-01T00:00:00Z" } else { "2026-01-02T00:00:00Z" },
        "author_association": "NONE",
    })
}

/// One page of `items` as GitHub pages lists: `per_page` (30 by default, at most 100) and
/// `page`, with a `Link` header to the next and last pages.
fn page(request: &Request<'_>, items: Vec<Value>) -> Reply {
    let param = |name: &str| {
        request
            .query?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value.parse::<usize>().ok())
    };
    let per_page = param("per_page").unwrap_or(30).clamp(1, 100);
    let number = param("page").unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let shown: Vec<Value> = items
        .into_iter()
        .skip((number - 1) * per_page)
        .take(per_page)
        .collect();
    let mut reply = Reply::json(200, Value::Array(shown));
    if number < last {
        let link = |page: usize| {
            format!(
                "<{}{}?per_page={per_page}&page={page}>",
                request.base_url, request.path
            )
        };
        reply.headers.push((
            "link".into(),
            format!(
                "{}; rel=\"next\", {}; rel=\"last\"",
                link(number + 1),
                link(last)
            ),
        ));
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::handle;

    const BASE: &str = "http://127.0.0.1:1";

    fn state() -> State {
        let mut state = State::new();
        state.add_repo("octo", "kato");
        state.add_pull_request("octo", "kato", 7);
        state.add_token("admin", Access::Admin);
        state.add_token("read", Access::ReadOnlyIntegration);
        state.add_token("contents", Access::ContentsWrite);
        state.add_token("pat-read", Access::AdministrationRead);
        state.add_token("pr", Access::ReadOnlyIntegration);
        state.grant_pull_requests("pr");
        state
    }

    fn call(
        state: &mut State,
        token: &str,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value, Vec<(String, String)>) {
        let authorization = format!("Bearer {token}");
        let reply = handle(
            state,
            Request {
                method,
                path,
                query,
                authorization: Some(&authorization),
                body,
                malformed_body: false,
                base_url: BASE,
            },
        );
        let body = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
        (reply.status, body, reply.headers)
    }

    #[test]
    fn create_list_and_update() {
        let mut state = state();
        let thread = "/repos/octo/kato/issues/7/comments";
        let (status, created, _) = call(
            &mut state,
            "pr",
            "POST",
            thread,
            None,
            Some(json!({"body": "first"})),
        );
        assert_eq!(status, 201);
        assert_eq!(created["user"]["login"], ACTIONS_BOT);
        assert_eq!(created["user"]["type"], "Bot");
        let id = created["id"].as_u64().unwrap();
        assert_eq!(
            created["html_url"],
            format!("https://github.com/octo/kato/pull/7#issuecomment-{id}")
        );
        let (status, list, _) = call(&mut state, "read", "GET", thread, None, None);
        assert_eq!(status, 200);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["body"], "first");

        let one = format!("/repos/octo/kato/issues/comments/{id}");
        let (status, updated, _) = call(
            &mut state,
            "pr",
            "PATCH",
            &one,
            None,
            Some(json!({"body": "second"})),
        );
        assert_eq!(status, 200);
        assert_eq!(updated["body"], "second");
        assert_eq!(state.comments("octo", "kato", 7)[0].edits, 1);
        let (status, fetched, _) = call(&mut state, "read", "GET", &one, None, None);
        assert_eq!((status, fetched["body"].as_str()), (200, Some("second")));
        // The admin's comments are the owner's.
        let (_, by_admin, _) = call(
            &mut state,
            "admin",
            "POST",
            thread,
            None,
            Some(json!({"body": "x"})),
        );
        assert_eq!(by_admin["user"]["login"], "octo");
    }

    #[test]
    fn lists_are_paged_with_links() {
        let mut state = state();
        for i in 0..105 {
            state.add_comment("octo", "kato", 7, "someone", &format!("c{i}"));
        }
        let thread = "/repos/octo/kato/issues/7/comments";
        let (_, first, headers) = call(&mut state, "read", "GET", thread, None, None);
        assert_eq!(first.as_array().unwrap().len(), 30);
        let link = &headers.iter().find(|(name, _)| name == "link").unwrap().1;
        assert_eq!(
            link,
            &format!(
                "<{BASE}{thread}?per_page=30&page=2>; rel=\"next\", <{BASE}{thread}?per_page=30&page=4>; rel=\"last\""
            )
        );
        let (_, last, headers) = call(
            &mut state,
            "read",
            "GET",
            thread,
            Some("per_page=100&page=2"),
            None,
        );
        assert_eq!(last.as_array().unwrap().len(), 5);
        assert_eq!(last[0]["body"], "c100");
        assert!(headers.iter().all(|(name, _)| name != "link"));
    }

    #[test]
    fn refusals_as_github_answers_them() {
        let mut state = state();
        let thread = "/repos/octo/kato/issues/7/comments";
        let body = || Some(json!({"body": "x"}));
        for (token, status, message) in [
            ("read", 403, "Resource not accessible by integration"),
            ("contents", 403, "Resource not accessible by integration"),
            (
                "pat-read",
                403,
                "Resource not accessible by personal access token",
            ),
        ] {
            let (got, reply, _) = call(&mut state, token, "POST", thread, None, body());
            assert_eq!(
                (got, reply["message"].as_str()),
                (status, Some(message)),
                "{token}"
            );
        }
        let (status, _, _) = call(
            &mut state,
            "pr",
            "POST",
            "/repos/octo/kato/issues/8/comments",
            None,
            body(),
        );
        assert_eq!(status, 404, "no such pull request");
        let (status, _, _) = call(
            &mut state,
            "pr",
            "POST",
            "/repos/octo/nope/issues/7/comments",
            None,
            body(),
        );
        assert_eq!(status, 404, "no such repository");
        let (status, _, _) = call(
            &mut state,
            "pr",
            "PATCH",
            "/repos/octo/kato/issues/comments/1",
            None,
            body(),
        );
        assert_eq!(status, 404, "no such comment");
        let (status, reply, _) = call(
            &mut state,
            "pr",
            "POST",
            thread,
            None,
            Some(json!({"text": "x"})),
        );
        assert_eq!(status, 422);
        assert_eq!(reply["errors"][0]["message"], "\"body\" wasn't supplied.");
        let (status, _, _) = call(&mut state, "nobody", "GET", thread, None, None);
        assert_eq!(status, 401);
        assert!(state.comments("octo", "kato", 7).is_empty());
    }
}
