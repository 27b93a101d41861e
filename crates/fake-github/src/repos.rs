//! `GET /repos/{owner}/{repo}`.

use serde_json::json;

use crate::router::Reply;
use crate::state::{Access, State};

/// The repository, with the token's `permissions` on it as GitHub reports them for
/// the token's user.
pub fn get(state: &State, base: &str, owner: &str, repo: &str, access: Access) -> Reply {
    let Some(repository) = state.repo(owner, repo) else {
        return Reply::not_found();
    };
    let owner_account = state.account(&repository.owner);
    let (admin, maintain, push) = match access {
        Access::Admin | Access::AdministrationRead => (true, true, true),
        Access::Collaborator | Access::ContentsWrite => (false, false, true),
        Access::ReadOnlyIntegration => (false, false, false),
    };
    let full_name = format!("{}/{}", repository.owner, repository.name);
    Reply::json(
        200,
        json!({
            "id": repository.id,
            "node_id": format!("R_{}", repository.id),
            "name": repository.name,
            "full_name": full_name,
            "owner": {
                "login": repository.owner,
                "id": owner_account.map(|account| account.id),
                "type": if owner_account.is_some_and(|account| account.organization) {
                    "Organization"
                } else {
                    "User"
                },
            },
            "private": false,
            "url": format!("{base}/repos/{full_name}"),
            "default_branch": repository.default_branch,
            "permissions": {
                "admin": admin,
                "maintain": maintain,
                "push": push,
                "triage": push,
                "pull": true,
            },
        }),
    )
}
