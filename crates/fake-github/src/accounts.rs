//! `GET /users/{login}` and `GET /orgs/{org}/teams/{slug}`.

use serde_json::json;

use crate::router::Reply;
use crate::state::State;

/// A user or organization: `login`, `id`, `type`.
pub fn user(state: &State, base: &str, login: &str) -> Reply {
    let Some(account) = state.account(login) else {
        return Reply::not_found();
    };
    Reply::json(
        200,
        json!({
            "login": account.login,
            "id": account.id,
            "node_id": format!("U_{}", account.id),
            "type": if account.organization { "Organization" } else { "User" },
            "site_admin": false,
            "url": format!("{base}/users/{}", account.login),
        }),
    )
}

/// A team of an organization: `id`, `slug`, `name`.
pub fn team(state: &State, base: &str, org: &str, slug: &str) -> Reply {
    let Some(team) = state.teams.get(&(org.to_lowercase(), slug.to_lowercase())) else {
        return Reply::not_found();
    };
    Reply::json(
        200,
        json!({
            "id": team.id,
            "node_id": format!("T_{}", team.id),
            "slug": team.slug,
            "name": team.name,
            "privacy": "closed",
            "permission": "pull",
            "url": format!("{base}/orgs/{}/teams/{}", team.org, team.slug),
            "organization": { "login": team.org },
        }),
    )
}
