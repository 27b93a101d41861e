//! What to change: the settings the repository should have against the ones it has
//! (GitHub's answers to the reads), as the API calls that make them so. Nothing here
//! calls GitHub.

use std::collections::BTreeSet;

use github_actions::escape_text;
use github_api::{Fields, Method, RepoName, path_segment, quoted};
use serde_json::{Value, json};

/// The tags releases are deployed from.
const RELEASE_TAGS: &str = "v*";

/// Users and teams are the two kinds of required reviewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReviewerKind {
    /// A user.
    User,
    /// A team of an organization.
    Team,
}

impl ReviewerKind {
    /// The `type` GitHub's API gives it.
    pub(crate) fn api_name(self) -> &'static str {
        match self {
            ReviewerKind::User => "User",
            ReviewerKind::Team => "Team",
        }
    }
}

/// A required reviewer, resolved to its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    /// User or team.
    pub kind: ReviewerKind,
    /// The id GitHub knows it by.
    pub id: u64,
    /// Its login, or `ORG/SLUG` for a team, for messages.
    pub name: String,
}

/// Branches and tags are the two kinds of deployment policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefKind {
    /// Branch names matching the pattern may deploy.
    Branch,
    /// Tag names matching the pattern may deploy.
    Tag,
}

impl RefKind {
    /// The `type` GitHub's API gives it.
    pub(crate) fn api_name(self) -> &'static str {
        match self {
            RefKind::Branch => "branch",
            RefKind::Tag => "tag",
        }
    }
}

/// A deployment branch or tag policy's pattern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefPattern {
    /// Branch or tag.
    pub kind: RefKind,
    /// The name pattern, such as `main` or `v*`.
    pub name: String,
}

impl RefPattern {
    fn describe(&self) -> String {
        let name = escape_text(&self.name);
        match self.kind {
            RefKind::Branch => format!("branch {name}"),
            RefKind::Tag => format!("tags {name}"),
        }
    }
}

/// What the repository should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The protected branch, which releases deploy from.
    pub branch: String,
    /// The required status checks.
    pub checks: Vec<String>,
    /// Approving reviews a pull request needs.
    pub approvals: u32,
    /// The release environment's name.
    pub environment: String,
    /// Its required reviewers.
    pub reviewers: Vec<Reviewer>,
    /// The refs that may deploy to it.
    pub deploy_from: Vec<RefPattern>,
}

impl Desired {
    /// The refs releases deploy from: the protected branch and the release tags.
    pub fn release_refs(branch: &str) -> Vec<RefPattern> {
        vec![
            RefPattern {
                kind: RefKind::Branch,
                name: branch.to_owned(),
            },
            RefPattern {
                kind: RefKind::Tag,
                name: RELEASE_TAGS.to_owned(),
            },
        ]
    }
}

/// An existing deployment policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Its id.
    pub id: u64,
    /// Its pattern.
    pub pattern: RefPattern,
}

/// What the repository has, as GitHub answered the reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Current {
    /// The branch protection, `None` when the branch is not protected.
    pub protection: Option<Value>,
    /// The environment, `None` when it does not exist.
    pub environment: Option<Value>,
    /// Its custom deployment policies (empty when it takes none).
    pub policies: Vec<Policy>,
}

/// One API call that changes something.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The method.
    pub method: Method,
    /// The API path.
    pub path: String,
    /// The JSON body.
    pub body: Option<Value>,
    /// What it changes, for people.
    pub summary: String,
}

/// The calls that take the repository from `current` to `desired`, in the order to make
/// them: branch protection, the environment, then its policies (which need the
/// environment to take custom policies). Empty when nothing differs.
pub fn plan(repo: &RepoName, desired: &Desired, current: &Current) -> Vec<Call> {
    let mut calls = Vec::new();
    calls.extend(protection_call(repo, desired, current.protection.as_ref()));
    calls.extend(environment_call(
        repo,
        desired,
        current.environment.as_ref(),
    ));
    calls.extend(policy_calls(repo, desired, current));
    calls
}

/// The API path of the branch's protection.
pub(crate) fn protection_path(repo: &RepoName, branch: &str) -> String {
    format!(
        "{}/branches/{}/protection",
        repo.api_path(),
        path_segment(branch)
    )
}

/// The API path of the environment.
pub(crate) fn environment_path(repo: &RepoName, environment: &str) -> String {
    format!(
        "{}/environments/{}",
        repo.api_path(),
        path_segment(environment)
    )
}

/// The API path of the environment's deployment branch and tag policies.
pub(crate) fn policies_path(repo: &RepoName, environment: &str) -> String {
    format!(
        "{}/deployment-branch-policies",
        environment_path(repo, environment)
    )
}

fn protection_call(repo: &RepoName, desired: &Desired, current: Option<&Value>) -> Option<Call> {
    let branch = &desired.branch;
    let summary = match current {
        None => format!(
            "protect {branch}: require the checks {} with the branch up to date; pull \
             requests with {}; administrators included; no force pushes; no deletion",
            list(&desired.checks),
            approvals(desired.approvals)
        ),
        Some(protection) => {
            let changes = protection_changes(desired, protection);
            if changes.is_empty() {
                return None;
            }
            format!("update the protection of {branch}: {}", changes.join("; "))
        }
    };
    Some(Call {
        method: Method::Put,
        path: protection_path(repo, branch),
        body: Some(protection_body(desired, current.unwrap_or(&Value::Null))),
        summary,
    })
}

fn protection_changes(desired: &Desired, protection: &Value) -> Vec<String> {
    let mut changes = Vec::new();
    let status = &protection["required_status_checks"];
    if status.is_null() {
        changes.push(format!(
            "require the checks {} with the branch up to date",
            list(&desired.checks)
        ));
    } else {
        let have = check_contexts(status);
        let added: Vec<String> = subtract(&desired.checks, &have);
        let removed: Vec<String> = subtract(&have, &desired.checks);
        if !added.is_empty() {
            changes.push(format!("require {}", list(&added)));
        }
        if !removed.is_empty() {
            changes.push(format!("stop requiring {}", list(&removed)));
        }
        if status["strict"] != true {
            changes.push("require the branch to be up to date before merging".into());
        }
    }
    let reviews = &protection["required_pull_request_reviews"];
    if reviews.is_null() {
        changes.push(format!(
            "require pull requests with {}",
            approvals(desired.approvals)
        ));
    } else {
        let have = reviews["required_approving_review_count"].as_u64();
        if have != Some(u64::from(desired.approvals)) {
            changes.push(format!(
                "approving reviews {} -> {}",
                have.map_or("?".to_owned(), |n| n.to_string()),
                desired.approvals
            ));
        }
    }
    if protection["enforce_admins"]["enabled"] != true {
        changes.push("include administrators".into());
    }
    if protection["allow_force_pushes"]["enabled"] == true {
        changes.push("forbid force pushes".into());
    }
    if protection["allow_deletions"]["enabled"] == true {
        changes.push("forbid deletion".into());
    }
    changes
}

/// The whole protection to `PUT`: what is managed here as desired, every other setting
/// as it is now (a `PUT` resets whatever it leaves out).
fn protection_body(desired: &Desired, protection: &Value) -> Value {
    let status = &protection["required_status_checks"];
    let checks: Vec<Value> = desired
        .checks
        .iter()
        .map(|context| {
            // Keep the app a check is pinned to; a new one is left to GitHub to pick.
            let app_id = status["checks"].as_array().and_then(|checks| {
                checks
                    .iter()
                    .find(|check| check["context"] == context.as_str())
                    .and_then(|check| check["app_id"].as_i64())
            });
            match app_id {
                Some(app_id) => json!({ "context": context, "app_id": app_id }),
                None => json!({ "context": context }),
            }
        })
        .collect();
    let reviews_now = &protection["required_pull_request_reviews"];
    let mut reviews = json!({
        "required_approving_review_count": desired.approvals,
        "dismiss_stale_reviews": reviews_now["dismiss_stale_reviews"] == true,
        "require_code_owner_reviews": reviews_now["require_code_owner_reviews"] == true,
        "require_last_push_approval": reviews_now["require_last_push_approval"] == true,
    });
    for key in ["dismissal_restrictions", "bypass_pull_request_allowances"] {
        if let Some(actors) = actor_names(&reviews_now[key]) {
            reviews[key] = actors;
        }
    }
    let enabled = |key: &str| protection[key]["enabled"] == true;
    json!({
        "required_status_checks": { "strict": true, "checks": checks },
        "enforce_admins": true,
        "required_pull_request_reviews": reviews,
        "restrictions": actor_names(&protection["restrictions"]).unwrap_or(Value::Null),
        "required_linear_history": enabled("required_linear_history"),
        "allow_force_pushes": false,
        "allow_deletions": false,
        "block_creations": enabled("block_creations"),
        "required_conversation_resolution": enabled("required_conversation_resolution"),
        "lock_branch": enabled("lock_branch"),
        "allow_fork_syncing": enabled("allow_fork_syncing"),
    })
}

/// The contexts of `required_status_checks`, from `checks` or the older `contexts`.
fn check_contexts(status: &Value) -> Vec<String> {
    let from = |key: &str, field: Option<&str>| -> Option<Vec<String>> {
        status[key].as_array().map(|items| {
            items
                .iter()
                .filter_map(|item| match field {
                    Some(field) => item[field].as_str(),
                    None => item.as_str(),
                })
                .map(str::to_owned)
                .collect()
        })
    };
    from("checks", Some("context"))
        .or_else(|| from("contexts", None))
        .unwrap_or_default()
}

/// Users, teams and apps as `GET` shows them (objects), as `PUT` takes them (names).
fn actor_names(actors: &Value) -> Option<Value> {
    if !actors.is_object() {
        return None;
    }
    let names = |key: &str, field: &str| -> Vec<Value> {
        actors[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item[field].as_str())
                    .map(Value::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(json!({
        "users": names("users", "login"),
        "teams": names("teams", "slug"),
        "apps": names("apps", "slug"),
    }))
}

fn environment_call(repo: &RepoName, desired: &Desired, current: Option<&Value>) -> Option<Call> {
    let name = &desired.environment;
    let want: BTreeSet<(ReviewerKind, u64)> = desired
        .reviewers
        .iter()
        .map(|reviewer| (reviewer.kind, reviewer.id))
        .collect();
    // read_current reads no environment whose reviewers cannot be read: none are passed
    // over.
    let have: BTreeSet<(ReviewerKind, u64)> = current
        .and_then(|environment| current_reviewers(environment).ok())
        .unwrap_or_default()
        .iter()
        .map(|reviewer| (reviewer.kind, reviewer.id))
        .collect();
    let custom = current.is_some_and(takes_custom_policies);
    let reviewers = desired
        .reviewers
        .iter()
        .map(|reviewer| reviewer.name.clone())
        .collect::<Vec<_>>();
    let only_from = format!(
        "deployments only from {}",
        desired
            .deploy_from
            .iter()
            .map(RefPattern::describe)
            .collect::<Vec<_>>()
            .join(" and ")
    );
    let summary = match current {
        None => format!(
            "create the environment {name}: required reviewers {}; {only_from}",
            list(&reviewers)
        ),
        Some(_) => {
            let mut changes = Vec::new();
            if want != have {
                changes.push(format!("required reviewers {}", list(&reviewers)));
            }
            if !custom {
                changes.push(only_from);
            }
            if changes.is_empty() {
                return None;
            }
            format!("update the environment {name}: {}", changes.join("; "))
        }
    };
    let mut body = json!({
        "reviewers": desired.reviewers.iter().map(|reviewer| {
            json!({ "type": reviewer.kind.api_name(), "id": reviewer.id })
        }).collect::<Vec<_>>(),
        "deployment_branch_policy": { "protected_branches": false, "custom_branch_policies": true },
    });
    // Settings this task does not manage keep their values.
    for rule in current.map(rules).unwrap_or_default() {
        match rule["type"].as_str() {
            Some("wait_timer") => body["wait_timer"] = rule["wait_timer"].clone(),
            Some("required_reviewers") if rule["prevent_self_review"].is_boolean() => {
                body["prevent_self_review"] = rule["prevent_self_review"].clone();
            }
            _ => {}
        }
    }
    Some(Call {
        method: Method::Put,
        path: environment_path(repo, name),
        body: Some(body),
        summary,
    })
}

fn policy_calls(repo: &RepoName, desired: &Desired, current: &Current) -> Vec<Call> {
    let name = &desired.environment;
    let path = policies_path(repo, name);
    let existing: &[Policy] = if current
        .environment
        .as_ref()
        .is_some_and(takes_custom_policies)
    {
        &current.policies
    } else {
        &[]
    };
    let mut calls = Vec::new();
    for policy in existing {
        if !desired.deploy_from.contains(&policy.pattern) {
            calls.push(Call {
                method: Method::Delete,
                path: format!("{path}/{}", policy.id),
                body: None,
                summary: format!(
                    "stop deployments to {name} from {}",
                    policy.pattern.describe()
                ),
            });
        }
    }
    for pattern in &desired.deploy_from {
        if !existing.iter().any(|policy| &policy.pattern == pattern) {
            calls.push(Call {
                method: Method::Post,
                path: path.clone(),
                body: Some(json!({ "name": pattern.name, "type": pattern.kind.api_name() })),
                summary: format!("allow deployments to {name} from {}", pattern.describe()),
            });
        }
    }
    calls
}

fn rules(environment: &Value) -> Vec<Value> {
    environment["protection_rules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The environment's required reviewers, as GitHub lists them; why not, quoting what
/// came, when one of them cannot be read (a reviewer passed over would be dropped by the
/// next `PUT`).
pub(crate) fn current_reviewers(environment: &Value) -> Result<Vec<Reviewer>, String> {
    let entries = rules(environment)
        .iter()
        .filter(|rule| rule["type"] == "required_reviewers")
        .flat_map(|rule| rule["reviewers"].as_array().cloned().unwrap_or_default())
        .collect::<Vec<_>>();
    let mut reviewers = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        let name = format!("reviewer {} of the environment", n + 1);
        let fields = Fields::of(entry, name.as_str())?;
        let kind = match fields.str("type")? {
            "User" => ReviewerKind::User,
            "Team" => ReviewerKind::Team,
            other => {
                return Err(format!(
                    "{name} has `type` {}, neither User nor Team",
                    quoted(&Value::from(other))
                ));
            }
        };
        let reviewer = fields.object("reviewer")?;
        let id = reviewer.u64("id")?;
        let login = reviewer.optional_str("login")?;
        let slug = reviewer.optional_str("slug")?;
        reviewers.push(Reviewer {
            kind,
            id,
            name: escape_text(login.or(slug).unwrap_or("?")).into_owned(),
        });
    }
    Ok(reviewers)
}

/// Whether the environment lets only its custom branch and tag policies deploy.
pub(crate) fn takes_custom_policies(environment: &Value) -> bool {
    environment["deployment_branch_policy"]["custom_branch_policies"] == true
}

/// The policies GitHub lists under `branch_policies` (`GET .../deployment-branch-policies`);
/// why not, quoting what came, when one of them cannot be read.
pub(crate) fn parse_policies(listed: &[Value]) -> Result<Vec<Policy>, String> {
    let mut policies = Vec::new();
    for (n, policy) in listed.iter().enumerate() {
        let name = format!("policy {} of the listing", n + 1);
        let fields = Fields::of(policy, name.as_str())?;
        let kind = match fields.optional_str("type")? {
            None | Some("branch") => RefKind::Branch,
            Some("tag") => RefKind::Tag,
            Some(other) => {
                return Err(format!(
                    "{name} has `type` {}, neither branch nor tag",
                    quoted(&Value::from(other))
                ));
            }
        };
        policies.push(Policy {
            id: fields.u64("id")?,
            pattern: RefPattern {
                kind,
                name: fields.str("name")?.to_owned(),
            },
        });
    }
    Ok(policies)
}

fn subtract(from: &[String], other: &[String]) -> Vec<String> {
    from.iter()
        .filter(|item| !other.contains(item))
        .cloned()
        .collect()
}

/// Names for a summary, some of them GitHub's (checks, reviewers): escaped to one line.
fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items
            .iter()
            .map(|item| escape_text(item))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn approvals(count: u32) -> String {
    match count {
        1 => "1 approving review".to_owned(),
        n => format!("{n} approving reviews"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> RepoName {
        RepoName::parse("acme/kato").unwrap()
    }

    fn desired() -> Desired {
        Desired {
            branch: "main".into(),
            checks: vec!["Rust checks".into(), "Quality gate".into()],
            approvals: 1,
            environment: "release".into(),
            reviewers: vec![
                Reviewer {
                    kind: ReviewerKind::User,
                    id: 11,
                    name: "alice".into(),
                },
                Reviewer {
                    kind: ReviewerKind::Team,
                    id: 22,
                    name: "acme/ops".into(),
                },
            ],
            deploy_from: Desired::release_refs("main"),
        }
    }

    /// GitHub's answers once everything is as desired.
    fn settled() -> Current {
        Current {
            protection: Some(json!({
                "required_status_checks": {
                    "strict": true,
                    "contexts": ["Rust checks", "Quality gate"],
                    "checks": [
                        { "context": "Rust checks", "app_id": 15368 },
                        { "context": "Quality gate", "app_id": null }
                    ]
                },
                "required_pull_request_reviews": { "required_approving_review_count": 1 },
                "enforce_admins": { "enabled": true },
                "allow_force_pushes": { "enabled": false },
                "allow_deletions": { "enabled": false },
                "required_linear_history": { "enabled": false },
            })),
            environment: Some(json!({
                "name": "release",
                "protection_rules": [{
                    "type": "required_reviewers",
                    "prevent_self_review": false,
                    "reviewers": [
                        { "type": "Team", "reviewer": { "id": 22, "slug": "ops" } },
                        { "type": "User", "reviewer": { "id": 11, "login": "alice" } }
                    ]
                }, { "type": "branch_policy" }],
                "deployment_branch_policy": { "protected_branches": false, "custom_branch_policies": true }
            })),
            policies: parse_policies(&[
                json!({ "id": 7, "name": "v*", "type": "tag" }),
                json!({ "id": 8, "name": "main", "type": "branch" }),
            ])
            .unwrap(),
        }
    }

    fn calls(current: &Current) -> Vec<(String, String)> {
        plan(&repo(), &desired(), current)
            .into_iter()
            .map(|call| (format!("{} {}", call.method, call.path), call.summary))
            .collect()
    }

    #[test]
    fn from_nothing_everything_is_made() {
        let planned = plan(&repo(), &desired(), &Current::default());
        let lines: Vec<String> = planned
            .iter()
            .map(|call| format!("{} {}", call.method, call.path))
            .collect();
        assert_eq!(
            lines,
            [
                "PUT /repos/acme/kato/branches/main/protection",
                "PUT /repos/acme/kato/environments/release",
                "POST /repos/acme/kato/environments/release/deployment-branch-policies",
                "POST /repos/acme/kato/environments/release/deployment-branch-policies",
            ]
        );
        assert_eq!(
            planned[0].body.as_ref().unwrap(),
            &json!({
                "required_status_checks": {
                    "strict": true,
                    "checks": [{ "context": "Rust checks" }, { "context": "Quality gate" }]
                },
                "enforce_admins": true,
                "required_pull_request_reviews": {
                    "required_approving_review_count": 1,
                    "dismiss_stale_reviews": false,
                    "require_code_owner_reviews": false,
                    "require_last_push_approval": false
                },
                "restrictions": null,
                "required_linear_history": false,
                "allow_force_pushes": false,
                "allow_deletions": false,
                "block_creations": false,
                "required_conversation_resolution": false,
                "lock_branch": false,
                "allow_fork_syncing": false
            })
        );
        assert_eq!(
            planned[0].summary,
            "protect main: require the checks Rust checks, Quality gate with the branch up to \
             date; pull requests with 1 approving review; administrators included; no force \
             pushes; no deletion"
        );
        assert_eq!(
            planned[1].body.as_ref().unwrap(),
            &json!({
                "reviewers": [{ "type": "User", "id": 11 }, { "type": "Team", "id": 22 }],
                "deployment_branch_policy": { "protected_branches": false, "custom_branch_policies": true }
            })
        );
        assert_eq!(
            planned[1].summary,
            "create the environment release: required reviewers alice, acme/ops; deployments \
             only from branch main and tags v*"
        );
        assert_eq!(
            planned[2].body.as_ref().unwrap(),
            &json!({ "name": "main", "type": "branch" })
        );
        assert_eq!(
            planned[3].body.as_ref().unwrap(),
            &json!({ "name": "v*", "type": "tag" })
        );
    }

    #[test]
    fn when_settled_nothing_is_called() {
        assert_eq!(calls(&settled()), []);
    }

    #[test]
    fn only_what_differs_is_called() {
        let mut current = settled();
        let protection = current.protection.as_mut().unwrap();
        protection["required_status_checks"]["checks"] =
            json!([{ "context": "Rust checks", "app_id": 15368 }, { "context": "old job" }]);
        protection["required_pull_request_reviews"]["required_approving_review_count"] = json!(2);
        protection["allow_force_pushes"]["enabled"] = json!(true);
        protection["required_linear_history"]["enabled"] = json!(true);
        protection["required_pull_request_reviews"]["dismiss_stale_reviews"] = json!(true);
        protection["restrictions"] = json!({
            "users": [{ "login": "bot", "id": 3 }], "teams": [{ "slug": "core" }], "apps": []
        });
        current.policies[1].pattern.name = "release/*".into();
        let planned = plan(&repo(), &desired(), &current);
        assert_eq!(
            calls(&current),
            [
                (
                    "PUT /repos/acme/kato/branches/main/protection".to_owned(),
                    "update the protection of main: require Quality gate; stop requiring old \
                     job; approving reviews 2 -> 1; forbid force pushes"
                        .to_owned()
                ),
                (
                    "DELETE /repos/acme/kato/environments/release/deployment-branch-policies/8"
                        .to_owned(),
                    "stop deployments to release from branch release/*".to_owned()
                ),
                (
                    "POST /repos/acme/kato/environments/release/deployment-branch-policies"
                        .to_owned(),
                    "allow deployments to release from branch main".to_owned()
                ),
            ]
        );
        let body = planned[0].body.as_ref().unwrap();
        // The app a kept check is pinned to stays; settings not managed here stay.
        assert_eq!(
            body["required_status_checks"]["checks"],
            json!([{ "context": "Rust checks", "app_id": 15368 }, { "context": "Quality gate" }])
        );
        assert_eq!(body["required_linear_history"], true);
        assert_eq!(
            body["required_pull_request_reviews"]["dismiss_stale_reviews"],
            true
        );
        assert_eq!(
            body["restrictions"],
            json!({ "users": ["bot"], "teams": ["core"], "apps": [] })
        );
    }

    #[test]
    fn older_contexts_and_loose_checks() {
        let mut current = settled();
        let protection = current.protection.as_mut().unwrap();
        protection["required_status_checks"] =
            json!({ "strict": false, "contexts": ["Rust checks", "Quality gate"] });
        protection["enforce_admins"]["enabled"] = json!(false);
        assert_eq!(
            calls(&current)[0].1,
            "update the protection of main: require the branch to be up to date before \
             merging; include administrators"
        );
    }

    #[test]
    fn environment_reviewers_and_policy() {
        let mut current = settled();
        let environment = current.environment.as_mut().unwrap();
        environment["protection_rules"] = json!([
            { "type": "wait_timer", "wait_timer": 5 },
            { "type": "required_reviewers", "prevent_self_review": true,
              "reviewers": [{ "type": "User", "reviewer": { "id": 11, "login": "alice" } }] }
        ]);
        environment["deployment_branch_policy"] =
            json!({ "protected_branches": true, "custom_branch_policies": false });
        let planned = plan(&repo(), &desired(), &current);
        assert_eq!(
            planned[0].summary,
            "update the environment release: required reviewers alice, acme/ops; deployments \
             only from branch main and tags v*"
        );
        let body = planned[0].body.as_ref().unwrap();
        assert_eq!(body["wait_timer"], 5);
        assert_eq!(body["prevent_self_review"], true);
        // Policies listed before the switch do not count: the environment takes none yet.
        assert_eq!(planned.len(), 3);
        assert!(planned[1..].iter().all(|call| call.method == Method::Post));
    }

    #[test]
    fn reading_reviewers_and_policies() {
        let current = settled();
        let reviewers = current_reviewers(current.environment.as_ref().unwrap()).unwrap();
        assert_eq!(
            reviewers,
            [
                Reviewer {
                    kind: ReviewerKind::Team,
                    id: 22,
                    name: "ops".into()
                },
                Reviewer {
                    kind: ReviewerKind::User,
                    id: 11,
                    name: "alice".into()
                },
            ]
        );
        assert_eq!(
            current.policies[0],
            Policy {
                id: 7,
                pattern: RefPattern {
                    kind: RefKind::Tag,
                    name: "v*".into()
                }
            }
        );
        assert!(takes_custom_policies(current.environment.as_ref().unwrap()));
        assert!(!takes_custom_policies(
            &json!({ "deployment_branch_policy": null })
        ));
    }

    #[test]
    fn names_with_slashes_stay_one_segment() {
        assert_eq!(
            protection_path(&repo(), "release/1.x"),
            "/repos/acme/kato/branches/release%2F1.x/protection"
        );
        assert_eq!(
            policies_path(&repo(), "pre prod"),
            "/repos/acme/kato/environments/pre%20prod/deployment-branch-policies"
        );
    }
}
