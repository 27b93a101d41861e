//! From a request to an answer: authentication, the fault queue, then the endpoint.
//!
//! A new endpoint is a `Route` variant, a line in `route()` and a handler taking the
//! `State` and the request.

use serde_json::{Value, json};

use std::time::Duration;

use crate::pages::Page;
use crate::state::{Access, Fault, Recorded, State};
use crate::{accounts, environments, git, protection, releases, repos};

/// Whether `access` may write releases, assets and git data; the refusal otherwise.
pub fn may_write_contents(access: Access) -> Result<(), Reply> {
    refuse(access, Need::WriteContents).map_or(Ok(()), Err)
}

/// A request as the router sees it.
#[derive(Debug)]
pub struct Request<'a> {
    /// The method, such as `GET`.
    pub method: &'a str,
    /// The path as sent (percent-encoded), without the query.
    pub path: &'a str,
    /// The query, if any.
    pub query: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The body, parsed when it is JSON.
    pub body: Option<Value>,
    /// Whether a body was sent that is not JSON.
    pub malformed_body: bool,
    /// The server's base URL, for the `url` fields of answers.
    pub base_url: &'a str,
}

/// An answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body, sent as it is.
    pub body: String,
    /// How long to wait before sending it.
    pub delay: Duration,
    /// Instead of `body`, a JSON body of this many bytes, streamed.
    pub padded: Option<u64>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.to_string(),
            delay: Duration::ZERO,
            padded: None,
        }
    }

    /// An answer without a body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
            padded: None,
        }
    }

    /// An error as GitHub words them: `message`, `documentation_url`, `status`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            json!({
                "message": message,
                "documentation_url": "https://docs.github.com/rest",
                "status": status.to_string(),
            }),
        )
    }

    /// 404 "Not Found".
    pub fn not_found() -> Self {
        Self::error(404, "Not Found")
    }

    /// 422 "Validation Failed" with one error, as GitHub reports a bad field.
    pub fn invalid(message: &str) -> Self {
        Self::json(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{ "resource": "Request", "code": "invalid", "message": message }],
                "documentation_url": "https://docs.github.com/rest",
                "status": "422",
            }),
        )
    }
}

/// The endpoints served.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Repo {
        owner: String,
        repo: String,
    },
    Protection {
        owner: String,
        repo: String,
        branch: String,
    },
    Environment {
        owner: String,
        repo: String,
        env: String,
    },
    BranchPolicies {
        owner: String,
        repo: String,
        env: String,
    },
    BranchPolicy {
        owner: String,
        repo: String,
        env: String,
        id: String,
    },
    GitRef {
        owner: String,
        repo: String,
        name: String,
    },
    GitRefs {
        owner: String,
        repo: String,
    },
    GitTags {
        owner: String,
        repo: String,
    },
    GitTag {
        owner: String,
        repo: String,
        sha: String,
    },
    Releases {
        owner: String,
        repo: String,
    },
    ReleaseByTag {
        owner: String,
        repo: String,
        tag: String,
    },
    Release {
        owner: String,
        repo: String,
        id: String,
    },
    ReleaseAssets {
        owner: String,
        repo: String,
        id: String,
    },
    Asset {
        owner: String,
        repo: String,
        id: String,
    },
    User {
        login: String,
    },
    Team {
        org: String,
        slug: String,
    },
}

/// What an endpoint requires of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Read access to public data or the repository.
    Read,
    /// Admin rights: reading branch protection.
    ReadProtection,
    /// Admin rights: changing branch protection.
    WriteProtection,
    /// Admin rights: changing other repository settings.
    WriteSettings,
    /// `contents: write`: releases, assets and git data.
    WriteContents,
}

fn route(path: &str) -> Option<Route> {
    let segments: Vec<String> = path
        .strip_prefix('/')?
        .split('/')
        .map(percent_decode)
        .collect::<Option<_>>()?;
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let owned = |text: &str| text.to_owned();
    Some(match s.as_slice() {
        ["repos", o, r] => Route::Repo {
            owner: owned(o),
            repo: owned(r),
        },
        ["repos", o, r, "branches", b, "protection"] => Route::Protection {
            owner: owned(o),
            repo: owned(r),
            branch: owned(b),
        },
        ["repos", o, r, "environments", e] => Route::Environment {
            owner: owned(o),
            repo: owned(r),
            env: owned(e),
        },
        [
            "repos",
            o,
            r,
            "environments",
            e,
            "deployment-branch-policies",
        ] => Route::BranchPolicies {
            owner: owned(o),
            repo: owned(r),
            env: owned(e),
        },
        [
            "repos",
            o,
            r,
            "environments",
            e,
            "deployment-branch-policies",
            id,
        ] => Route::BranchPolicy {
            owner: owned(o),
            repo: owned(r),
            env: owned(e),
            id: owned(id),
        },
        ["repos", o, r, "git", "ref", rest @ ..] if !rest.is_empty() => Route::GitRef {
            owner: owned(o),
            repo: owned(r),
            name: rest.join("/"),
        },
        ["repos", o, r, "git", "refs"] => Route::GitRefs {
            owner: owned(o),
            repo: owned(r),
        },
        ["repos", o, r, "git", "tags"] => Route::GitTags {
            owner: owned(o),
            repo: owned(r),
        },
        ["repos", o, r, "git", "tags", sha] => Route::GitTag {
            owner: owned(o),
            repo: owned(r),
            sha: owned(sha),
        },
        ["repos", o, r, "releases"] => Route::Releases {
            owner: owned(o),
            repo: owned(r),
        },
        ["repos", o, r, "releases", "tags", tag] => Route::ReleaseByTag {
            owner: owned(o),
            repo: owned(r),
            tag: owned(tag),
        },
        ["repos", o, r, "releases", "assets", id] => Route::Asset {
            owner: owned(o),
            repo: owned(r),
            id: owned(id),
        },
        ["repos", o, r, "releases", id] => Route::Release {
            owner: owned(o),
            repo: owned(r),
            id: owned(id),
        },
        ["repos", o, r, "releases", id, "assets"] => Route::ReleaseAssets {
            owner: owned(o),
            repo: owned(r),
            id: owned(id),
        },
        ["users", login] => Route::User {
            login: owned(login),
        },
        ["orgs", org, "teams", slug] => Route::Team {
            org: owned(org),
            slug: owned(slug),
        },
        _ => return None,
    })
}

fn need(route: &Route, method: &str) -> Need {
    match (route, method) {
        (_, "GET") if matches!(route, Route::Protection { .. }) => Need::ReadProtection,
        (_, "GET") => Need::Read,
        (Route::Protection { .. }, _) => Need::WriteProtection,
        (
            Route::GitRefs { .. }
            | Route::GitTags { .. }
            | Route::Releases { .. }
            | Route::Release { .. }
            | Route::Asset { .. },
            _,
        ) => Need::WriteContents,
        _ => Need::WriteSettings,
    }
}

/// The answer to `request`; the request is recorded in `state` with its status.
pub fn handle(state: &mut State, request: Request<'_>) -> Reply {
    let mut reply = answer(state, &request);
    if state.echo_authorization {
        echo_in_html_urls(&mut reply, request.authorization.unwrap_or(""));
    }
    state.requests.push(Recorded {
        method: request.method.to_owned(),
        path: request.path.to_owned(),
        query: request.query.map(str::to_owned),
        body: request.body.clone(),
        status: reply.status,
    });
    reply
}

fn answer(state: &mut State, request: &Request<'_>) -> Reply {
    let mut delay = Duration::ZERO;
    if let Some(fault) = take_fault(state, request.method, request.path, None) {
        if fault.status != 0 {
            return fault_reply(fault, request.authorization);
        }
        delay = fault.delay;
    }
    let mut reply = endpoint(state, request);
    reply.delay = delay;
    reply
}

/// `reply`'s JSON with `#` and `authorization` added to every `html_url` in it.
pub fn echo_in_html_urls(reply: &mut Reply, authorization: &str) {
    fn walk(value: &mut Value, authorization: &str) {
        match value {
            Value::Object(fields) => {
                for (key, field) in fields.iter_mut() {
                    match field {
                        Value::String(url) if key == "html_url" => {
                            url.push('#');
                            url.push_str(authorization);
                        }
                        other => walk(other, authorization),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| walk(item, authorization)),
            _ => {}
        }
    }
    if let Ok(mut body) = serde_json::from_str::<Value>(&reply.body) {
        walk(&mut body, authorization);
        reply.body = body.to_string();
    }
}

/// The answer a fault gives instead of the endpoint's.
pub fn fault_reply(fault: Fault, authorization: Option<&str>) -> Reply {
    let echo = |text: &str| text.replace("{authorization}", authorization.unwrap_or(""));
    let mut reply = Reply {
        status: fault.status,
        headers: fault
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), echo(value)))
            .collect(),
        body: echo(&fault.body),
        delay: fault.delay,
        padded: fault.padded,
    };
    reply
        .headers
        .push(("content-type".into(), "application/json".into()));
    reply
}

fn endpoint(state: &mut State, request: &Request<'_>) -> Reply {
    let access = match authenticate(state, request.authorization) {
        Ok(access) => access,
        Err(reply) => return reply,
    };
    if request.malformed_body {
        return Reply::error(400, "Problems parsing JSON");
    }
    if let Some(reply) = crate::comments::serve(state, request, access) {
        return reply;
    }
    let Some(route) = route(request.path) else {
        return Reply::not_found();
    };
    if let Some(refusal) = refuse(access, need(&route, request.method)) {
        // Admin endpoints of a repository that does not exist are 404 for everyone.
        if repo_of(&route).is_some_and(|(o, r)| state.repo(o, r).is_none()) {
            return Reply::not_found();
        }
        return refusal;
    }
    let body = request.body.as_ref();
    let base = request.base_url;
    match (request.method, route) {
        ("GET", Route::Repo { owner, repo }) => repos::get(state, base, &owner, &repo, access),
        (
            "GET",
            Route::Protection {
                owner,
                repo,
                branch,
            },
        ) => protection::get(state, base, &owner, &repo, &branch),
        (
            "PUT",
            Route::Protection {
                owner,
                repo,
                branch,
            },
        ) => protection::put(state, base, &owner, &repo, &branch, body),
        (
            "DELETE",
            Route::Protection {
                owner,
                repo,
                branch,
            },
        ) => protection::delete(state, &owner, &repo, &branch),
        ("GET", Route::Environment { owner, repo, env }) => {
            environments::get(state, base, &owner, &repo, &env)
        }
        ("PUT", Route::Environment { owner, repo, env }) => {
            environments::put(state, base, &owner, &repo, &env, body)
        }
        ("GET", Route::BranchPolicies { owner, repo, env }) => {
            environments::list_policies(state, page(request), &owner, &repo, &env)
        }
        ("POST", Route::BranchPolicies { owner, repo, env }) => {
            environments::create_policy(state, base, &owner, &repo, &env, body)
        }
        (
            "GET",
            Route::BranchPolicy {
                owner,
                repo,
                env,
                id,
            },
        ) => environments::get_policy(state, &owner, &repo, &env, &id),
        (
            "DELETE",
            Route::BranchPolicy {
                owner,
                repo,
                env,
                id,
            },
        ) => environments::delete_policy(state, &owner, &repo, &env, &id),
        ("GET", Route::GitRef { owner, repo, name }) => {
            git::get_ref(state, base, &owner, &repo, &name)
        }
        ("POST", Route::GitRefs { owner, repo }) => {
            git::create_ref(state, base, &owner, &repo, body)
        }
        ("POST", Route::GitTags { owner, repo }) => {
            git::create_tag(state, base, &owner, &repo, body)
        }
        ("GET", Route::GitTag { owner, repo, sha }) => {
            git::get_tag(state, base, &owner, &repo, &sha)
        }
        ("GET", Route::Releases { owner, repo }) => {
            releases::list(state, page(request), &owner, &repo, access)
        }
        ("POST", Route::Releases { owner, repo }) => {
            releases::create(state, base, &owner, &repo, body)
        }
        ("GET", Route::ReleaseByTag { owner, repo, tag }) => {
            releases::get_by_tag(state, base, &owner, &repo, &tag)
        }
        ("GET", Route::Release { owner, repo, id }) => {
            releases::get(state, base, &owner, &repo, &id, access)
        }
        ("PATCH", Route::Release { owner, repo, id }) => {
            releases::update(state, base, &owner, &repo, &id, body)
        }
        ("DELETE", Route::Release { owner, repo, id }) => {
            releases::delete(state, &owner, &repo, &id)
        }
        ("GET", Route::ReleaseAssets { owner, repo, id }) => {
            releases::list_assets(state, page(request), &owner, &repo, &id)
        }
        ("GET", Route::Asset { owner, repo, id }) => {
            releases::get_asset(state, base, &owner, &repo, &id)
        }
        ("DELETE", Route::Asset { owner, repo, id }) => {
            releases::delete_asset(state, &owner, &repo, &id)
        }
        ("GET", Route::User { login }) => accounts::user(state, base, &login),
        ("GET", Route::Team { org, slug }) => accounts::team(state, base, &org, &slug),
        _ => Reply::not_found(),
    }
}

fn page<'a>(request: &'a Request<'a>) -> Page<'a> {
    Page {
        base: request.base_url,
        path: request.path,
        query: request.query,
    }
}

fn repo_of(route: &Route) -> Option<(&str, &str)> {
    match route {
        Route::Repo { owner, repo }
        | Route::Protection { owner, repo, .. }
        | Route::Environment { owner, repo, .. }
        | Route::BranchPolicies { owner, repo, .. }
        | Route::BranchPolicy { owner, repo, .. }
        | Route::GitRef { owner, repo, .. }
        | Route::GitRefs { owner, repo }
        | Route::GitTags { owner, repo }
        | Route::GitTag { owner, repo, .. }
        | Route::Releases { owner, repo }
        | Route::ReleaseByTag { owner, repo, .. }
        | Route::Release { owner, repo, .. }
        | Route::ReleaseAssets { owner, repo, .. }
        | Route::Asset { owner, repo, .. } => Some((owner, repo)),
        Route::User { .. } | Route::Team { .. } => None,
    }
}

/// The first queued fault for `method path`, or, with `upload`, for an upload of that
/// asset name; served once more.
pub fn take_fault(
    state: &mut State,
    method: &str,
    path: &str,
    upload: Option<&str>,
) -> Option<Fault> {
    let index = state.faults.iter().position(|fault| {
        let target = match (&fault.upload_name, upload) {
            (Some(wanted), Some(name)) => wanted == "*" || wanted == name,
            (None, None) => path_matches(&fault.path, path),
            _ => false,
        };
        target
            && fault
                .method
                .as_deref()
                .is_none_or(|wanted| wanted == method)
    })?;
    let fault = &mut state.faults[index];
    fault.times = fault.times.saturating_sub(1);
    let served = fault.clone();
    if fault.times == 0 {
        state.faults.remove(index);
    }
    Some(served)
}

/// Whether `path` is `pattern`, where a segment `*` stands for any one segment (an id
/// the test cannot know beforehand).
fn path_matches(pattern: &str, path: &str) -> bool {
    let (mut wanted, mut got) = (pattern.split('/'), path.split('/'));
    loop {
        match (wanted.next(), got.next()) {
            (None, None) => return true,
            (Some("*"), Some(segment)) if !segment.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// The token's access, from `Authorization: Bearer <token>` or `token <token>`.
pub fn authenticate(state: &State, authorization: Option<&str>) -> Result<Access, Reply> {
    let Some(header) = authorization else {
        return Err(Reply::error(401, "Requires authentication"));
    };
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("token "))
        .map(str::trim);
    token
        .and_then(|token| state.tokens.get(token).copied())
        .ok_or_else(|| Reply::error(401, "Bad credentials"))
}

/// The refusal GitHub gives `access` for `need`, if any.
fn refuse(access: Access, need: Need) -> Option<Reply> {
    match (access, need) {
        (Access::Admin, _) | (_, Need::Read) => None,
        (Access::ContentsWrite | Access::Collaborator, Need::WriteContents) => None,
        (Access::ContentsWrite, _) => {
            Some(Reply::error(403, "Resource not accessible by integration"))
        }
        (Access::ReadOnlyIntegration, _) => {
            Some(Reply::error(403, "Resource not accessible by integration"))
        }
        (Access::AdministrationRead, Need::ReadProtection) => None,
        (Access::AdministrationRead, _) => Some(Reply::error(
            403,
            "Resource not accessible by personal access token",
        )),
        (Access::Collaborator, Need::ReadProtection | Need::WriteProtection) => {
            Some(Reply::not_found())
        }
        (Access::Collaborator, Need::WriteSettings) => {
            Some(Reply::error(403, "Must have admin rights to Repository."))
        }
    }
}

/// `%XX` sequences decoded; `None` when they do not make UTF-8.
pub(crate) fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_paths_with_a_wildcard_segment() {
        assert!(path_matches(
            "/repos/o/r/releases/*/assets",
            "/repos/o/r/releases/7/assets"
        ));
        assert!(path_matches("/repos/o/r", "/repos/o/r"));
        assert!(!path_matches(
            "/repos/o/r/releases/*/assets",
            "/repos/o/r/releases/7"
        ));
        assert!(!path_matches(
            "/repos/o/r/releases/*",
            "/repos/o/r/releases/"
        ));
        assert!(!path_matches(
            "/repos/o/r/releases/*",
            "/repos/o/r/releases/tags/v1"
        ));
    }

    #[test]
    fn routes() {
        assert_eq!(
            route("/repos/o/r/branches/release%2Fv1/protection"),
            Some(Route::Protection {
                owner: "o".into(),
                repo: "r".into(),
                branch: "release/v1".into()
            })
        );
        assert_eq!(
            route("/orgs/acme/teams/ops"),
            Some(Route::Team {
                org: "acme".into(),
                slug: "ops".into()
            })
        );
        assert_eq!(
            route("/repos/o/r/git/ref/tags/v0.1.0"),
            Some(Route::GitRef {
                owner: "o".into(),
                repo: "r".into(),
                name: "tags/v0.1.0".into()
            })
        );
        assert_eq!(
            route("/repos/o/r/releases/assets/7"),
            Some(Route::Asset {
                owner: "o".into(),
                repo: "r".into(),
                id: "7".into()
            })
        );
        assert_eq!(
            route("/repos/o/r/releases/7/assets"),
            Some(Route::ReleaseAssets {
                owner: "o".into(),
                repo: "r".into(),
                id: "7".into()
            })
        );
        assert_eq!(route("/repos/o/r/releases/7/assets/x"), None);
        assert_eq!(route("repos/o/r"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("v%2A").as_deref(), Some("v*"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%zz"), None);
    }
}
