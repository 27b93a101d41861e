//! Deployment environments and their custom branch and tag policies:
//! `GET`/`PUT /repos/{owner}/{repo}/environments/{name}`,
//! `GET`/`POST .../deployment-branch-policies`, `GET`/`DELETE .../deployment-branch-policies/{id}`.

use serde_json::{Map, Value, json};

use crate::pages::Page;
use crate::router::Reply;
use crate::state::{BranchPolicy, DeploymentBranchPolicy, Environment, Reviewer, State};

/// The most required reviewers an environment takes.
pub const MAX_REVIEWERS: usize = 6;

/// The environment, or 404.
pub fn get(state: &State, base: &str, owner: &str, repo: &str, env: &str) -> Reply {
    match state
        .repo(owner, repo)
        .and_then(|repository| repository.environments.get(env))
    {
        Some(environment) => Reply::json(200, render(state, base, owner, repo, environment)),
        None => Reply::not_found(),
    }
}

/// Creates or updates the environment. Fields left out of the body keep their value;
/// `deployment_branch_policy: null` lets every branch deploy. Leaving custom policies
/// removes the policies.
pub fn put(
    state: &mut State,
    base: &str,
    owner: &str,
    repo: &str,
    env: &str,
    body: Option<&Value>,
) -> Reply {
    if state.repo(owner, repo).is_none() {
        return Reply::not_found();
    }
    let empty = Map::new();
    let fields = match body {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(fields)) => fields,
        Some(_) => return Reply::invalid("the body is not an object"),
    };
    let reviewers = match fields.get("reviewers") {
        None => None,
        Some(value) => match reviewers(state, value) {
            Ok(reviewers) => Some(reviewers),
            Err(problem) => return Reply::invalid(&problem),
        },
    };
    let branch_policy = match fields.get("deployment_branch_policy") {
        None => None,
        Some(value) => match deployment_branch_policy(value) {
            Ok(policy) => Some(policy),
            Err(problem) => return Reply::invalid(&problem),
        },
    };
    let wait_timer = match fields.get("wait_timer") {
        None => None,
        Some(value) => match value.as_u64().filter(|minutes| *minutes <= 43_200) {
            Some(minutes) => Some(minutes as u32),
            None => return Reply::invalid("wait_timer must be from 0 to 43200 minutes"),
        },
    };
    let prevent_self_review = fields.get("prevent_self_review").and_then(Value::as_bool);
    let id = state.next_id();
    let repository = state.repo_mut(owner, repo).expect("checked above");
    let environment = repository
        .environments
        .entry(env.to_owned())
        .or_insert_with(|| Environment {
            id,
            name: env.to_owned(),
            wait_timer: 0,
            prevent_self_review: false,
            reviewers: Vec::new(),
            deployment_branch_policy: None,
            branch_policies: Vec::new(),
        });
    if let Some(reviewers) = reviewers {
        environment.reviewers = reviewers;
    }
    if let Some(minutes) = wait_timer {
        environment.wait_timer = minutes;
    }
    if let Some(prevent) = prevent_self_review {
        environment.prevent_self_review = prevent;
    }
    if let Some(policy) = branch_policy {
        environment.deployment_branch_policy = policy;
        if !policy.is_some_and(|policy| policy.custom_branch_policies) {
            environment.branch_policies.clear();
        }
    }
    let environment = environment.clone();
    Reply::json(200, render(state, base, owner, repo, &environment))
}

fn reviewers(state: &State, value: &Value) -> Result<Vec<Reviewer>, String> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err("reviewers must be an array".into()),
    };
    if items.len() > MAX_REVIEWERS {
        return Err(format!(
            "an environment takes at most {MAX_REVIEWERS} reviewers"
        ));
    }
    items
        .iter()
        .map(|item| {
            let id = item
                .get("id")
                .and_then(Value::as_u64)
                .ok_or("each reviewer needs a numeric id")?;
            match item.get("type").and_then(Value::as_str) {
                Some("User") if state.account_by_id(id).is_some_and(|a| !a.organization) => {
                    Ok(Reviewer::User(id))
                }
                Some("Team") if state.team_by_id(id).is_some() => Ok(Reviewer::Team(id)),
                Some(kind @ ("User" | "Team")) => Err(format!("no {kind} with id {id}")),
                _ => Err("a reviewer's type is User or Team".into()),
            }
        })
        .collect()
}

fn deployment_branch_policy(value: &Value) -> Result<Option<DeploymentBranchPolicy>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let flag = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_bool)
            .ok_or_else(|| format!("deployment_branch_policy needs {key}"))
    };
    let policy = DeploymentBranchPolicy {
        protected_branches: flag("protected_branches")?,
        custom_branch_policies: flag("custom_branch_policies")?,
    };
    if policy.protected_branches == policy.custom_branch_policies {
        return Err(
            "exactly one of protected_branches and custom_branch_policies must be true".into(),
        );
    }
    Ok(Some(policy))
}

fn render(state: &State, base: &str, owner: &str, repo: &str, environment: &Environment) -> Value {
    let mut rules = Vec::new();
    if environment.wait_timer > 0 {
        rules.push(json!({
            "id": environment.id * 10 + 1,
            "type": "wait_timer",
            "wait_timer": environment.wait_timer,
        }));
    }
    if !environment.reviewers.is_empty() {
        let reviewers: Vec<Value> = environment
            .reviewers
            .iter()
            .map(|reviewer| match *reviewer {
                Reviewer::User(id) => {
                    let login = state.account_by_id(id).map(|account| account.login.clone());
                    json!({ "type": "User", "reviewer": { "login": login, "id": id, "type": "User" } })
                }
                Reviewer::Team(id) => {
                    let team = state.team_by_id(id);
                    json!({ "type": "Team", "reviewer": {
                        "id": id,
                        "slug": team.map(|team| team.slug.clone()),
                        "name": team.map(|team| team.name.clone()),
                    } })
                }
            })
            .collect();
        rules.push(json!({
            "id": environment.id * 10 + 2,
            "type": "required_reviewers",
            "prevent_self_review": environment.prevent_self_review,
            "reviewers": reviewers,
        }));
    }
    if environment.deployment_branch_policy.is_some() {
        rules.push(json!({ "id": environment.id * 10 + 3, "type": "branch_policy" }));
    }
    json!({
        "id": environment.id,
        "node_id": format!("EN_{}", environment.id),
        "name": environment.name,
        "url": format!("{base}/repos/{owner}/{repo}/environments/{}", environment.name),
        "can_admins_bypass": true,
        "protection_rules": rules,
        "deployment_branch_policy": environment.deployment_branch_policy.map(|policy| json!({
            "protected_branches": policy.protected_branches,
            "custom_branch_policies": policy.custom_branch_policies,
        })),
    })
}

/// The environment when it takes custom policies; else the 404 GitHub answers.
fn custom(state: &State, owner: &str, repo: &str, env: &str) -> Result<Environment, Reply> {
    state
        .repo(owner, repo)
        .and_then(|repository| repository.environments.get(env))
        .filter(|environment| {
            environment
                .deployment_branch_policy
                .is_some_and(|policy| policy.custom_branch_policies)
        })
        .cloned()
        .ok_or_else(Reply::not_found)
}

fn render_policy(policy: &BranchPolicy) -> Value {
    json!({
        "id": policy.id,
        "node_id": format!("DBP_{}", policy.id),
        "name": policy.name,
        "type": policy.kind,
    })
}

/// The environment's custom policies, paginated.
pub fn list_policies(
    state: &State,
    request: Page<'_>,
    owner: &str,
    repo: &str,
    env: &str,
) -> Reply {
    let environment = match custom(state, owner, repo, env) {
        Ok(environment) => environment,
        Err(reply) => return reply,
    };
    let policies: Vec<Value> = environment
        .branch_policies
        .iter()
        .map(render_policy)
        .collect();
    let filler = |n: usize| {
        render_policy(&BranchPolicy {
            id: (1 << 40) + n as u64,
            name: format!("stray-{n}"),
            kind: "branch".to_owned(),
        })
    };
    let (shown, link) = request.slice(&policies, state.endless_pages.then_some(&filler));
    let mut reply = Reply::json(
        200,
        json!({ "total_count": policies.len(), "branch_policies": shown }),
    );
    reply.headers.extend(link.map(|link| ("link".into(), link)));
    reply
}

/// Adds a policy: 200 with it, or 303 to the policy with the same pattern and type.
pub fn create_policy(
    state: &mut State,
    base: &str,
    owner: &str,
    repo: &str,
    env: &str,
    body: Option<&Value>,
) -> Reply {
    let environment = match custom(state, owner, repo, env) {
        Ok(environment) => environment,
        Err(reply) => return reply,
    };
    let Some(name) = body
        .and_then(|body| body.get("name"))
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
    else {
        return Reply::invalid("name is required");
    };
    let kind = match body.and_then(|body| body.get("type")) {
        None | Some(Value::Null) => "branch",
        Some(Value::String(kind)) if kind == "branch" || kind == "tag" => kind.as_str(),
        Some(_) => return Reply::invalid("type is branch or tag"),
    };
    if let Some(existing) = environment
        .branch_policies
        .iter()
        .find(|policy| policy.name == name && policy.kind == kind)
    {
        let mut reply = Reply::empty(303);
        reply.headers.push((
            "location".into(),
            format!(
                "{base}/repos/{owner}/{repo}/environments/{env}/deployment-branch-policies/{}",
                existing.id
            ),
        ));
        return reply;
    }
    let policy = BranchPolicy {
        id: state.next_id(),
        name: name.to_owned(),
        kind: kind.to_owned(),
    };
    let rendered = render_policy(&policy);
    state
        .repo_mut(owner, repo)
        .and_then(|repository| repository.environments.get_mut(env))
        .expect("checked above")
        .branch_policies
        .push(policy);
    Reply::json(200, rendered)
}

/// One policy, by id.
pub fn get_policy(state: &State, owner: &str, repo: &str, env: &str, id: &str) -> Reply {
    let environment = match custom(state, owner, repo, env) {
        Ok(environment) => environment,
        Err(reply) => return reply,
    };
    environment
        .branch_policies
        .iter()
        .find(|policy| policy.id.to_string() == id)
        .map(|policy| Reply::json(200, render_policy(policy)))
        .unwrap_or_else(Reply::not_found)
}

/// Removes a policy: 204, or 404.
pub fn delete_policy(state: &mut State, owner: &str, repo: &str, env: &str, id: &str) -> Reply {
    if let Err(reply) = custom(state, owner, repo, env) {
        return reply;
    }
    let policies = &mut state
        .repo_mut(owner, repo)
        .and_then(|repository| repository.environments.get_mut(env))
        .expect("checked above")
        .branch_policies;
    match policies
        .iter()
        .position(|policy| policy.id.to_string() == id)
    {
        Some(index) => {
            policies.remove(index);
            Reply::empty(204)
        }
        None => Reply::not_found(),
    }
}
