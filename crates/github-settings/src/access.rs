//! Telling a token that may not administer the repository what it lacks.

use github_api::{ApiError, RepoName};

/// Whether GitHub refused `error`'s call for want of admin rights: a 403 that is not a
/// rate limit or a plan limit, or, on branch protection, the plain 404 GitHub gives
/// those who may not see it ("Branch not protected" and "Branch not found" are answers).
pub(crate) fn lacks_admin(error: &ApiError, protection: bool) -> bool {
    let message = error.message();
    match error.status() {
        Some(403) => {
            let lower = message.to_lowercase();
            !lower.contains("rate limit") && !lower.contains("upgrade to github")
        }
        Some(404) => protection && message == "Not Found",
        _ => false,
    }
}

/// The message for a refusal for want of admin rights. `user_is_admin` is what the
/// repository's `permissions.admin` said of the token's user, when it said.
pub(crate) fn admin_error(
    repo: &RepoName,
    error: &ApiError,
    user_is_admin: Option<bool>,
) -> String {
    let user = match user_is_admin {
        Some(false) => format!(" GitHub reports that the token's user is not an admin of {repo}."),
        _ => String::new(),
    };
    format!(
        "the token may not administer {repo}: {error}.{user}\n\
         Branch protection and environments need admin rights on the repository: a \
         fine-grained token needs the repository permission \"Administration: Read and \
         write\"; a classic token needs the repo scope and a user who is an admin of {repo}. \
         A workflow's GITHUB_TOKEN cannot be given this permission."
    )
}

#[cfg(test)]
mod tests {
    use github_api::Method;

    use super::*;

    fn answered(status: u16, message: &str) -> ApiError {
        ApiError::Status {
            method: Method::Get,
            path: "/repos/o/r/branches/main/protection".into(),
            status,
            message: message.into(),
            documentation_url: None,
            rate_limit: None,
        }
    }

    #[test]
    fn refusals_for_want_of_admin_rights() {
        assert!(lacks_admin(
            &answered(403, "Resource not accessible by integration"),
            true
        ));
        assert!(lacks_admin(
            &answered(403, "Resource not accessible by personal access token"),
            false
        ));
        assert!(lacks_admin(
            &answered(403, "Must have admin rights to Repository."),
            false
        ));
        assert!(lacks_admin(&answered(404, "Not Found"), true));
        assert!(!lacks_admin(&answered(404, "Not Found"), false));
        assert!(!lacks_admin(&answered(404, "Branch not protected"), true));
        assert!(!lacks_admin(&answered(404, "Branch not found"), true));
        assert!(!lacks_admin(
            &answered(403, "API rate limit exceeded for user ID 1."),
            true
        ));
        assert!(!lacks_admin(
            &answered(
                403,
                "Upgrade to GitHub Pro or make this repository public to enable this feature."
            ),
            true
        ));
        assert!(!lacks_admin(&answered(500, "boom"), true));
    }

    #[test]
    fn the_message_names_the_permission() {
        let repo = RepoName::parse("acme/kato").unwrap();
        let message = admin_error(
            &repo,
            &answered(403, "Resource not accessible by integration"),
            Some(false),
        );
        assert!(message.starts_with(
            "the token may not administer acme/kato: GET /repos/o/r/branches/main/protection \
             answered 403: Resource not accessible by integration. GitHub reports that the \
             token's user is not an admin of acme/kato.\n"
        ));
        assert!(message.contains("\"Administration: Read and write\""));
        assert!(message.contains("repo scope"));
    }
}
