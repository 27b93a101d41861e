//! `GET`, `PUT` and `DELETE /repos/{owner}/{repo}/branches/{branch}/protection`.
//!
//! `PUT` replaces the whole protection: its four required keys must be present (each may
//! be `null`), and every optional setting left out is reset to off, as on GitHub.

use serde_json::{Map, Value, json};

use crate::router::Reply;
use crate::state::{Actors, Protection, PullRequestReviews, State, StatusChecks};

/// The branch's protection, or 404 "Branch not protected".
pub fn get(state: &State, base: &str, owner: &str, repo: &str, branch: &str) -> Reply {
    let Some(repository) = state.repo(owner, repo) else {
        return Reply::not_found();
    };
    if !repository.branches.contains(branch) {
        return Reply::error(404, "Branch not found");
    }
    match repository.protections.get(branch) {
        Some(protection) => Reply::json(200, render(protection, &url(base, owner, repo, branch))),
        None => Reply::error(404, "Branch not protected"),
    }
}

/// Sets the branch's protection from the body; answers with it.
pub fn put(
    state: &mut State,
    base: &str,
    owner: &str,
    repo: &str,
    branch: &str,
    body: Option<&Value>,
) -> Reply {
    let Some(repository) = state.repo_mut(owner, repo) else {
        return Reply::not_found();
    };
    if !repository.branches.contains(branch) {
        return Reply::error(404, "Branch not found");
    }
    let protection = match body.and_then(Value::as_object).map(parse) {
        Some(Ok(protection)) => protection,
        Some(Err(problem)) => return Reply::error(422, &format!("Invalid request.\n\n{problem}")),
        None => return Reply::error(422, "Invalid request.\n\nThe body is not an object."),
    };
    let rendered = render(&protection, &url(base, owner, repo, branch));
    repository.protections.insert(branch.to_owned(), protection);
    Reply::json(200, rendered)
}

/// Removes the branch's protection: 204, or 404 "Branch not protected".
pub fn delete(state: &mut State, owner: &str, repo: &str, branch: &str) -> Reply {
    let Some(repository) = state.repo_mut(owner, repo) else {
        return Reply::not_found();
    };
    match repository.protections.remove(branch) {
        Some(_) => Reply::empty(204),
        None => Reply::error(404, "Branch not protected"),
    }
}

fn url(base: &str, owner: &str, repo: &str, branch: &str) -> String {
    format!("{base}/repos/{owner}/{repo}/branches/{branch}/protection")
}

/// The protection a `PUT` body describes.
pub fn parse(body: &Map<String, Value>) -> Result<Protection, String> {
    for key in [
        "required_status_checks",
        "enforce_admins",
        "required_pull_request_reviews",
        "restrictions",
    ] {
        if !body.contains_key(key) {
            return Err(format!("\"{key}\" wasn't supplied."));
        }
    }
    let flag = |key: &str| -> Result<bool, String> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(value)) => Ok(*value),
            Some(other) => Err(format!("For '{key}', {other} is not a boolean.")),
        }
    };
    Ok(Protection {
        required_status_checks: nullable(body, "required_status_checks", status_checks)?,
        enforce_admins: flag("enforce_admins")?,
        required_pull_request_reviews: nullable(body, "required_pull_request_reviews", reviews)?,
        restrictions: nullable(body, "restrictions", |value| actors(value, "restrictions"))?,
        required_linear_history: flag("required_linear_history")?,
        allow_force_pushes: flag("allow_force_pushes")?,
        allow_deletions: flag("allow_deletions")?,
        block_creations: flag("block_creations")?,
        required_conversation_resolution: flag("required_conversation_resolution")?,
        lock_branch: flag("lock_branch")?,
        allow_fork_syncing: flag("allow_fork_syncing")?,
    })
}

fn nullable<T>(
    body: &Map<String, Value>,
    key: &str,
    parse: impl Fn(&Map<String, Value>) -> Result<T, String>,
) -> Result<Option<T>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(fields)) => parse(fields).map(Some),
        Some(other) => Err(format!("For '{key}', {other} is not an object.")),
    }
}

fn status_checks(fields: &Map<String, Value>) -> Result<StatusChecks, String> {
    let strict = fields
        .get("strict")
        .and_then(Value::as_bool)
        .ok_or("For 'required_status_checks', \"strict\" wasn't supplied.")?;
    let checks = if let Some(checks) = fields.get("checks") {
        let checks = checks
            .as_array()
            .ok_or("For 'checks', it is not an array.")?;
        checks
            .iter()
            .map(|check| {
                let context = check
                    .get("context")
                    .and_then(Value::as_str)
                    .ok_or("For 'checks', each needs a \"context\".")?;
                Ok((
                    context.to_owned(),
                    check.get("app_id").and_then(Value::as_i64),
                ))
            })
            .collect::<Result<Vec<_>, String>>()?
    } else if let Some(contexts) = fields.get("contexts") {
        strings(contexts, "contexts")?
            .into_iter()
            .map(|context| (context, None))
            .collect()
    } else {
        return Err(
            "For 'required_status_checks', \"contexts\" or \"checks\" must be supplied.".into(),
        );
    };
    Ok(StatusChecks { strict, checks })
}

fn reviews(fields: &Map<String, Value>) -> Result<PullRequestReviews, String> {
    let count = match fields.get("required_approving_review_count") {
        None => 1,
        Some(value) => value
            .as_u64()
            .filter(|count| *count <= 6)
            .ok_or("For 'required_approving_review_count', use a number from 0 to 6.")?,
    };
    let flag = |key: &str| fields.get(key).and_then(Value::as_bool).unwrap_or(false);
    Ok(PullRequestReviews {
        required_approving_review_count: count as u32,
        dismiss_stale_reviews: flag("dismiss_stale_reviews"),
        require_code_owner_reviews: flag("require_code_owner_reviews"),
        require_last_push_approval: flag("require_last_push_approval"),
        dismissal_restrictions: nullable(fields, "dismissal_restrictions", |value| {
            actors(value, "dismissal_restrictions")
        })?,
        bypass_pull_request_allowances: nullable(fields, "bypass_pull_request_allowances", |v| {
            actors(v, "bypass_pull_request_allowances")
        })?,
    })
}

fn actors(fields: &Map<String, Value>, key: &str) -> Result<Actors, String> {
    let list = |name: &str| match fields.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(value) => strings(value, &format!("{key}.{name}")),
    };
    Ok(Actors {
        users: list("users")?,
        teams: list("teams")?,
        apps: list("apps")?,
    })
}

fn strings(value: &Value, key: &str) -> Result<Vec<String>, String> {
    value
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .ok_or_else(|| format!("For '{key}', {value} is not an array of strings."))
}

/// The protection as `GET` shows it: sections that are off are left out, switches are
/// `{"enabled": ...}` objects, actors are objects.
pub fn render(protection: &Protection, url: &str) -> Value {
    let enabled = |on: bool| json!({ "enabled": on });
    let mut body = json!({
        "url": url,
        "required_signatures": { "url": format!("{url}/required_signatures"), "enabled": false },
        "enforce_admins": { "url": format!("{url}/enforce_admins"), "enabled": protection.enforce_admins },
        "required_linear_history": enabled(protection.required_linear_history),
        "allow_force_pushes": enabled(protection.allow_force_pushes),
        "allow_deletions": enabled(protection.allow_deletions),
        "block_creations": enabled(protection.block_creations),
        "required_conversation_resolution": enabled(protection.required_conversation_resolution),
        "lock_branch": enabled(protection.lock_branch),
        "allow_fork_syncing": enabled(protection.allow_fork_syncing),
    });
    let fields = body.as_object_mut().expect("an object");
    if let Some(checks) = &protection.required_status_checks {
        fields.insert(
            "required_status_checks".into(),
            json!({
                "url": format!("{url}/required_status_checks"),
                "strict": checks.strict,
                "contexts": checks.contexts(),
                "contexts_url": format!("{url}/required_status_checks/contexts"),
                "checks": checks.checks.iter().map(|(context, app_id)| {
                    json!({ "context": context, "app_id": app_id })
                }).collect::<Vec<_>>(),
            }),
        );
    }
    if let Some(reviews) = &protection.required_pull_request_reviews {
        let mut section = json!({
            "url": format!("{url}/required_pull_request_reviews"),
            "dismiss_stale_reviews": reviews.dismiss_stale_reviews,
            "require_code_owner_reviews": reviews.require_code_owner_reviews,
            "require_last_push_approval": reviews.require_last_push_approval,
            "required_approving_review_count": reviews.required_approving_review_count,
        });
        let section_fields = section.as_object_mut().expect("an object");
        if let Some(actors) = &reviews.dismissal_restrictions {
            section_fields.insert("dismissal_restrictions".into(), render_actors(actors));
        }
        if let Some(actors) = &reviews.bypass_pull_request_allowances {
            section_fields.insert(
                "bypass_pull_request_allowances".into(),
                render_actors(actors),
            );
        }
        fields.insert("required_pull_request_reviews".into(), section);
    }
    if let Some(actors) = &protection.restrictions {
        fields.insert("restrictions".into(), render_actors(actors));
    }
    body
}

fn render_actors(actors: &Actors) -> Value {
    json!({
        "users": actors.users.iter().map(|login| json!({ "login": login, "type": "User" })).collect::<Vec<_>>(),
        "teams": actors.teams.iter().map(|slug| json!({ "slug": slug, "name": slug })).collect::<Vec<_>>(),
        "apps": actors.apps.iter().map(|slug| json!({ "slug": slug })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn put_body_round_trip() {
        let protection = parse(&object(json!({
            "required_status_checks": { "strict": true, "checks": [{ "context": "ci" }, { "context": "lint", "app_id": 15368 }] },
            "enforce_admins": true,
            "required_pull_request_reviews": { "required_approving_review_count": 2, "dismiss_stale_reviews": true },
            "restrictions": null,
            "allow_force_pushes": false,
            "required_linear_history": true,
        })))
        .unwrap();
        assert_eq!(
            protection.required_status_checks.as_ref().unwrap().checks,
            vec![("ci".to_owned(), None), ("lint".to_owned(), Some(15368))]
        );
        assert!(protection.required_linear_history);
        let rendered = render(&protection, "u");
        assert_eq!(
            rendered["required_status_checks"]["contexts"],
            json!(["ci", "lint"])
        );
        assert_eq!(rendered["enforce_admins"]["enabled"], json!(true));
        assert_eq!(
            rendered["required_pull_request_reviews"]["required_approving_review_count"],
            json!(2)
        );
        assert_eq!(rendered["allow_deletions"], json!({ "enabled": false }));
        assert!(rendered.get("restrictions").is_none());
    }

    #[test]
    fn contexts_are_accepted_too() {
        let protection = parse(&object(json!({
            "required_status_checks": { "strict": false, "contexts": ["a"] },
            "enforce_admins": null,
            "required_pull_request_reviews": null,
            "restrictions": { "users": ["octocat"], "teams": [] },
        })))
        .unwrap();
        assert_eq!(
            protection.required_status_checks.unwrap().contexts(),
            vec!["a".to_owned()]
        );
        assert_eq!(
            protection.restrictions.unwrap().users,
            vec!["octocat".to_owned()]
        );
    }

    #[test]
    fn required_keys_and_types() {
        let error = parse(&object(json!({ "enforce_admins": true }))).unwrap_err();
        assert_eq!(error, "\"required_status_checks\" wasn't supplied.");
        let error = parse(&object(json!({
            "required_status_checks": { "strict": true },
            "enforce_admins": true,
            "required_pull_request_reviews": null,
            "restrictions": null,
        })))
        .unwrap_err();
        assert!(error.contains("\"contexts\" or \"checks\""), "{error}");
        let error = parse(&object(json!({
            "required_status_checks": null,
            "enforce_admins": true,
            "required_pull_request_reviews": { "required_approving_review_count": 7 },
            "restrictions": null,
        })))
        .unwrap_err();
        assert!(error.contains("from 0 to 6"), "{error}");
    }
}
