//! What the server knows: tokens, accounts, teams, repositories and what is set on them,
//! the requests it was sent, and the faults it has been told to answer with.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

/// What a token may do, modelled on the tokens GitHub hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A token that may administer every repository: a classic token with `repo` of an
    /// admin, or a fine-grained one with "Administration: Read and write".
    Admin,
    /// A workflow's `GITHUB_TOKEN` (or a GitHub App without the Administration
    /// permission): it reads, and admin endpoints answer 403 "Resource not accessible by
    /// integration".
    ReadOnlyIntegration,
    /// A fine-grained token of an admin with "Administration: Read-only": branch
    /// protection reads, and admin writes answer 403 "Resource not accessible by personal
    /// access token".
    AdministrationRead,
    /// A workflow's `GITHUB_TOKEN` with `contents: write`: it reads, writes releases,
    /// assets and git data, and is refused admin endpoints like
    /// [`Access::ReadOnlyIntegration`].
    ContentsWrite,
    /// A classic token of a collaborator who may push but is not an admin: branch
    /// protection answers 404 "Not Found", other admin endpoints 403 "Must have admin
    /// rights to Repository.".
    Collaborator,
}

/// A user or an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login, as spelled on GitHub.
    pub login: String,
    /// Its numeric id.
    pub id: u64,
    /// `true` for an organization.
    pub organization: bool,
}

/// A team of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// The organization's login.
    pub org: String,
    /// The slug, as in `ORG/SLUG`.
    pub slug: String,
    /// The display name.
    pub name: String,
    /// Its numeric id.
    pub id: u64,
}

/// A repository and what is set on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Repository {
    /// Its numeric id.
    pub id: u64,
    /// The owner's login.
    pub owner: String,
    /// The name.
    pub name: String,
    /// The default branch.
    pub default_branch: String,
    /// The branches that exist.
    pub branches: BTreeSet<String>,
    /// Branch protection, by branch.
    pub protections: BTreeMap<String, Protection>,
    /// Deployment environments, by name.
    pub environments: BTreeMap<String, Environment>,
    /// The commits GitHub holds: a tag or ref may point only at these (or at a tag
    /// object).
    pub commits: BTreeSet<String>,
    /// Git refs by full name (`refs/heads/main`, `refs/tags/v0.1.0`) to the sha they
    /// point at: a commit, or an annotated tag object.
    pub refs: BTreeMap<String, String>,
    /// Annotated tag objects, by their sha.
    pub tag_objects: BTreeMap<String, TagObject>,
    /// Releases, oldest first.
    pub releases: Vec<Release>,
    /// The release GitHub shows as Latest: set when a release is published with
    /// `make_latest` "true" (the default), never to a pre-release.
    pub latest: Option<u64>,
}

impl Repository {
    /// Adds a commit that GitHub holds, and moves the default branch to it.
    pub fn add_commit(&mut self, sha: &str) -> &mut Self {
        self.commits.insert(sha.to_owned());
        self.refs.insert(
            format!("refs/heads/{}", self.default_branch),
            sha.to_owned(),
        );
        self
    }

    /// The commit a ref name (`tags/v0.1.0`, `heads/main`) leads to, through an
    /// annotated tag object when it points at one.
    pub fn ref_commit(&self, name: &str) -> Option<&str> {
        let sha = self.refs.get(&format!("refs/{name}"))?;
        match self.tag_objects.get(sha) {
            Some(tag) => Some(&tag.object_sha),
            None => Some(sha),
        }
    }

    /// The release tagged `tag` that is published, if any.
    pub fn published_release(&self, tag: &str) -> Option<&Release> {
        self.releases
            .iter()
            .find(|release| !release.draft && release.tag_name == tag)
    }
}

/// An annotated tag object (`POST /git/tags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagObject {
    /// Its own sha.
    pub sha: String,
    /// The tag's name.
    pub tag: String,
    /// The message.
    pub message: String,
    /// The object tagged: a commit sha.
    pub object_sha: String,
    /// The object's type, `commit`.
    pub object_type: String,
}

/// A release and its assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Its id.
    pub id: u64,
    /// The tag it is for.
    pub tag_name: String,
    /// The branch or commit the tag is made at when publishing finds no tag.
    pub target_commitish: String,
    /// The title.
    pub name: Option<String>,
    /// The notes.
    pub body: Option<String>,
    /// Whether it is a draft (visible only to those who may push).
    pub draft: bool,
    /// Whether it is marked as a pre-release.
    pub prerelease: bool,
    /// Its assets, in upload order.
    pub assets: Vec<Asset>,
}

/// A release asset. Only its size and digest are kept, never its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Its id.
    pub id: u64,
    /// The file name, unique within the release.
    pub name: String,
    /// The label, if any.
    pub label: Option<String>,
    /// The content type given at upload.
    pub content_type: String,
    /// `uploaded`, `open` while its body streams in, or `starter` when an upload failed
    /// and left it holding the name.
    pub state: AssetState,
    /// Bytes received.
    pub size: u64,
    /// `sha256:<hex>` of the bytes, once uploaded.
    pub digest: Option<String>,
}

/// The state of an asset, as GitHub names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetState {
    /// Complete.
    Uploaded,
    /// Its body is streaming in.
    Open,
    /// Left by an upload that failed: holds the name until deleted.
    Starter,
}

impl AssetState {
    /// The name GitHub's JSON uses.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetState::Uploaded => "uploaded",
            AssetState::Open => "open",
            AssetState::Starter => "starter",
        }
    }
}

/// A branch's protection, as `PUT .../protection` sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protection {
    /// `required_status_checks`, or `None` when no check is required.
    pub required_status_checks: Option<StatusChecks>,
    /// `enforce_admins`.
    pub enforce_admins: bool,
    /// `required_pull_request_reviews`, or `None` when pull requests are not required.
    pub required_pull_request_reviews: Option<PullRequestReviews>,
    /// `restrictions`: who may push, or `None` for everyone with write access.
    pub restrictions: Option<Actors>,
    /// `required_linear_history`.
    pub required_linear_history: bool,
    /// `allow_force_pushes`.
    pub allow_force_pushes: bool,
    /// `allow_deletions`.
    pub allow_deletions: bool,
    /// `block_creations`.
    pub block_creations: bool,
    /// `required_conversation_resolution`.
    pub required_conversation_resolution: bool,
    /// `lock_branch`.
    pub lock_branch: bool,
    /// `allow_fork_syncing`.
    pub allow_fork_syncing: bool,
}

/// Required status checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusChecks {
    /// Branches must be up to date before merging.
    pub strict: bool,
    /// The checks: context and the app that must set it (`None`: any).
    pub checks: Vec<(String, Option<i64>)>,
}

impl StatusChecks {
    /// The contexts of the checks, in order.
    pub fn contexts(&self) -> Vec<String> {
        self.checks
            .iter()
            .map(|(context, _)| context.clone())
            .collect()
    }
}

/// Required pull request reviews.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullRequestReviews {
    /// Approving reviews needed to merge.
    pub required_approving_review_count: u32,
    /// New commits dismiss approvals.
    pub dismiss_stale_reviews: bool,
    /// Code owners must approve.
    pub require_code_owner_reviews: bool,
    /// The last push must be approved by someone else.
    pub require_last_push_approval: bool,
    /// Who may dismiss reviews, when restricted.
    pub dismissal_restrictions: Option<Actors>,
    /// Who may merge without the reviews, when anyone may.
    pub bypass_pull_request_allowances: Option<Actors>,
}

/// Users (logins), teams (slugs) and apps (slugs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actors {
    /// User logins.
    pub users: Vec<String>,
    /// Team slugs.
    pub teams: Vec<String>,
    /// App slugs.
    pub apps: Vec<String>,
}

/// A deployment environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Its numeric id.
    pub id: u64,
    /// The name.
    pub name: String,
    /// Minutes to wait before a deployment proceeds.
    pub wait_timer: u32,
    /// Whether whoever started a deployment may not approve it.
    pub prevent_self_review: bool,
    /// Required reviewers.
    pub reviewers: Vec<Reviewer>,
    /// Which refs may deploy; `None`: all.
    pub deployment_branch_policy: Option<DeploymentBranchPolicy>,
    /// The custom branch and tag policies, when `custom_branch_policies` is on.
    pub branch_policies: Vec<BranchPolicy>,
}

/// A required reviewer of an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reviewer {
    /// A user, by id.
    User(u64),
    /// A team, by id.
    Team(u64),
}

/// `deployment_branch_policy` of an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeploymentBranchPolicy {
    /// Only protected branches may deploy.
    pub protected_branches: bool,
    /// Only refs matching the custom policies may deploy.
    pub custom_branch_policies: bool,
}

/// A custom deployment branch or tag policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchPolicy {
    /// Its numeric id.
    pub id: u64,
    /// The name pattern, such as `main` or `v*`.
    pub name: String,
    /// `"branch"` or `"tag"`.
    pub kind: String,
}

/// A request the server received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The method, such as `PUT`.
    pub method: String,
    /// The path as sent, percent-encoding kept, without the query.
    pub path: String,
    /// The query, if any.
    pub query: Option<String>,
    /// The JSON body, if any (a body that is not JSON is kept as a string).
    pub body: Option<Value>,
    /// The status the server answered with.
    pub status: u16,
}

impl Recorded {
    /// Whether the request could change anything (any method but `GET` and `HEAD`).
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD")
    }
}

/// An answer to give instead of the real one, to requests matching `method` and
/// `path` (or, with `upload_name`, uploads of that asset), `times` times.
///
/// Built with [`Fault::on`] or [`Fault::on_upload`] and the builder methods; the fields
/// stay public for tests that spell one out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fault {
    /// The method to match, or `None` for any.
    pub method: Option<String>,
    /// The path to match (as sent, without the query), where a segment `*` matches any
    /// one segment. Ignored for uploads matched by `upload_name`.
    pub path: String,
    /// The status to answer with; `0` answers as the endpoint would (after `delay`).
    pub status: u16,
    /// Extra headers, such as `retry-after`, or `location` with a 3xx status.
    /// `{authorization}` in a value is replaced as in the body.
    pub headers: Vec<(String, String)>,
    /// The body. `{authorization}` in it is replaced by the request's `Authorization`
    /// header, as a careless server might echo it back.
    pub body: String,
    /// How many requests it answers.
    pub times: usize,
    /// How long to wait before answering: a slow response.
    pub delay: Duration,
    /// Uploads only: close the connection, without an answer, after this many bytes of
    /// the body. The asset is left in state `starter`.
    pub drop_after: Option<u64>,
    /// Uploads only: match uploads of this asset name (`*` for any upload).
    pub upload_name: Option<String>,
    /// Uploads only: store the body with its first byte changed, as a corrupting proxy
    /// would, and answer as usual: the asset's digest is then not the file's.
    pub corrupt: bool,
    /// Instead of `body`, a body of this many bytes (a JSON empty array padded with
    /// spaces), made as it is sent and streamed without a `Content-Length`.
    pub padded: Option<u64>,
}

impl Fault {
    /// A fault for `method path`: a 500 "Server Error", once, until changed.
    pub fn on(method: &str, path: &str) -> Self {
        Self {
            method: Some(method.to_owned()),
            path: path.to_owned(),
            status: 500,
            body: r#"{"message":"Server Error"}"#.to_owned(),
            times: 1,
            ..Self::default()
        }
    }

    /// A fault for uploads of the asset `name` (`*`: any upload): a 500, once, until
    /// changed. A 502 leaves the asset in state `starter`, as GitHub's upstream does.
    pub fn on_upload(name: &str) -> Self {
        Self {
            upload_name: Some(name.to_owned()),
            ..Self::on("POST", "")
        }
    }

    /// Answers with `status`.
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        if status == 502 {
            self.body = "<html><body><h1>502 Bad Gateway</h1></body></html>".to_owned();
        }
        self
    }

    /// Answers `times` requests.
    pub fn times(mut self, times: usize) -> Self {
        self.times = times;
        self
    }

    /// Answers with this body.
    pub fn body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }

    /// Adds a header to the answer.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Waits `delay` before answering as the endpoint would: a slow response.
    pub fn slow(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self.status = 0;
        self
    }

    /// Stores an upload with its first byte changed (see [`Fault::corrupt`]).
    pub fn corrupt(mut self) -> Self {
        self.corrupt = true;
        self.status = 0;
        self
    }

    /// Answers with a body of `bytes` bytes, streamed without a `Content-Length` (see
    /// [`Fault::padded`]).
    pub fn padded(mut self, bytes: u64) -> Self {
        self.padded = Some(bytes);
        self
    }

    /// Drops an upload's connection after `bytes` of its body, with no answer.
    pub fn drop_after(mut self, bytes: u64) -> Self {
        self.drop_after = Some(bytes);
        self
    }

    /// GitHub's secondary rate limit: 403 with `retry-after: seconds`.
    pub fn secondary_rate_limit(self, status: u16, seconds: u64) -> Self {
        self.status(status)
            .header("retry-after", &seconds.to_string())
            .body(r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}"#)
    }

    /// GitHub's primary rate limit: 403 with `x-ratelimit-remaining: 0` and a
    /// `x-ratelimit-reset` `seconds` from now.
    pub fn primary_rate_limit(self, seconds: u64) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |now| now.as_secs());
        self.status(403)
            .header("x-ratelimit-limit", "5000")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", &(now + seconds).to_string())
            .body(r#"{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}"#)
    }
}

/// Everything the server holds. Names (logins, repositories, slugs) match without
/// regard to case, as on GitHub.
#[derive(Debug, Default)]
pub struct State {
    pub(crate) tokens: BTreeMap<String, Access>,
    /// Users and organizations, by lowercase login.
    pub accounts: BTreeMap<String, Account>,
    /// Teams, by lowercase `(org, slug)`.
    pub teams: BTreeMap<(String, String), Team>,
    /// Repositories, by lowercase `(owner, name)`.
    pub repos: BTreeMap<(String, String), Repository>,
    /// Every request received, in order.
    pub requests: Vec<Recorded>,
    /// Faults still to be served.
    pub faults: Vec<Fault>,
    /// Uploads are read at most this many bytes per second, when set: slow enough for
    /// a test to catch one in state `open`.
    pub upload_throttle: Option<u64>,
    /// The base URL of the upload listener.
    pub(crate) upload_base: String,
    /// Hostile: the base that releases name in `upload_url` instead of the upload
    /// listener's, such as an `http://` URL or another host, as a compromised or
    /// misconfigured server might answer.
    pub upload_url_base: Option<String>,
    /// Hostile: every `html_url` in an answer ends with `#` and the request's
    /// `Authorization` header, as a careless server might echo the token back.
    pub echo_authorization: bool,
    /// Hostile: the ids of releases and assets are JSON strings (`"1001"`), not numbers.
    pub ids_as_strings: bool,
    /// Hostile: every page of a listing (releases, assets, deployment policies) is full
    /// and links to a next one, without end.
    pub endless_pages: bool,
    /// Pull requests, their comments, and the tokens that may write them.
    pub(crate) conversations: crate::comments::Conversations,
    next_id: u64,
}

impl State {
    /// An empty state.
    pub fn new() -> Self {
        Self {
            next_id: 1000,
            ..Self::default()
        }
    }

    /// A fresh id for a new object.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Accepts `token` with `access`.
    pub fn add_token(&mut self, token: &str, access: Access) -> &mut Self {
        self.tokens.insert(token.to_owned(), access);
        self
    }

    /// Adds a user; returns its id.
    pub fn add_user(&mut self, login: &str) -> u64 {
        self.add_account(login, false)
    }

    /// Adds an organization; returns its id.
    pub fn add_org(&mut self, login: &str) -> u64 {
        self.add_account(login, true)
    }

    fn add_account(&mut self, login: &str, organization: bool) -> u64 {
        let id = self.next_id();
        self.accounts.insert(
            login.to_lowercase(),
            Account {
                login: login.to_owned(),
                id,
                organization,
            },
        );
        id
    }

    /// Adds a team to an organization (which is added when missing); returns its id.
    pub fn add_team(&mut self, org: &str, slug: &str, name: &str) -> u64 {
        if !self.accounts.contains_key(&org.to_lowercase()) {
            self.add_org(org);
        }
        let id = self.next_id();
        self.teams.insert(
            (org.to_lowercase(), slug.to_lowercase()),
            Team {
                org: org.to_owned(),
                slug: slug.to_owned(),
                name: name.to_owned(),
                id,
            },
        );
        id
    }

    /// Adds a repository with one branch, `main`, its default; its owner is added as a
    /// user when missing.
    pub fn add_repo(&mut self, owner: &str, name: &str) -> &mut Repository {
        if !self.accounts.contains_key(&owner.to_lowercase()) {
            self.add_user(owner);
        }
        let id = self.next_id();
        let key = (owner.to_lowercase(), name.to_lowercase());
        self.repos.insert(
            key.clone(),
            Repository {
                id,
                owner: owner.to_owned(),
                name: name.to_owned(),
                default_branch: "main".to_owned(),
                branches: BTreeSet::from(["main".to_owned()]),
                protections: BTreeMap::new(),
                environments: BTreeMap::new(),
                commits: BTreeSet::new(),
                refs: BTreeMap::new(),
                tag_objects: BTreeMap::new(),
                releases: Vec::new(),
                latest: None,
            },
        );
        self.repos.get_mut(&key).expect("just added")
    }

    /// The repository `owner/name`, if it exists.
    pub fn repo(&self, owner: &str, name: &str) -> Option<&Repository> {
        self.repos.get(&(owner.to_lowercase(), name.to_lowercase()))
    }

    /// The repository `owner/name`, to change, if it exists.
    pub fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut Repository> {
        self.repos
            .get_mut(&(owner.to_lowercase(), name.to_lowercase()))
    }

    /// The account `login`, if it exists.
    pub(crate) fn account(&self, login: &str) -> Option<&Account> {
        self.accounts.get(&login.to_lowercase())
    }

    /// The account with `id`.
    pub(crate) fn account_by_id(&self, id: u64) -> Option<&Account> {
        self.accounts.values().find(|account| account.id == id)
    }

    /// The team with `id`.
    pub(crate) fn team_by_id(&self, id: u64) -> Option<&Team> {
        self.teams.values().find(|team| team.id == id)
    }

    /// The release with `id` in `owner/name`, if any.
    pub fn release(&self, owner: &str, name: &str, id: u64) -> Option<&Release> {
        self.repo(owner, name)?
            .releases
            .iter()
            .find(|release| release.id == id)
    }

    /// Queues a fault.
    pub fn add_fault(&mut self, fault: Fault) -> &mut Self {
        self.faults.push(fault);
        self
    }
}
