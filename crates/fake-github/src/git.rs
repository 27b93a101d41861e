//! Git data: `GET /git/ref/{ref}`, `POST /git/refs`, `POST /git/tags`,
//! `GET /git/tags/{sha}`.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::router::Reply;
use crate::state::{State, TagObject};

/// `GET /repos/{o}/{r}/git/ref/{name}` (`name` such as `tags/v0.1.0`).
pub fn get_ref(state: &State, base: &str, owner: &str, repo: &str, name: &str) -> Reply {
    let Some(repository) = state.repo(owner, repo) else {
        return Reply::not_found();
    };
    let full = format!("refs/{name}");
    match repository.refs.get(&full) {
        Some(sha) => {
            let kind = if repository.tag_objects.contains_key(sha) {
                "tag"
            } else {
                "commit"
            };
            Reply::json(200, render_ref(base, owner, repo, &full, sha, kind))
        }
        None => Reply::not_found(),
    }
}

/// `POST /repos/{o}/{r}/git/refs` with `{ref, sha}`.
pub fn create_ref(
    state: &mut State,
    base: &str,
    owner: &str,
    repo: &str,
    body: Option<&Value>,
) -> Reply {
    let Some(repository) = state.repo_mut(owner, repo) else {
        return Reply::not_found();
    };
    let text = |key: &str| body.and_then(|body| body.get(key)).and_then(Value::as_str);
    let (Some(name), Some(sha)) = (text("ref"), text("sha")) else {
        return Reply::invalid("ref and sha are required");
    };
    if !name.starts_with("refs/") || name.matches('/').count() < 2 {
        return Reply::error(
            422,
            "Reference name must start with 'refs/' and have at least two slashes.",
        );
    }
    let kind = if repository.tag_objects.contains_key(sha) {
        "tag"
    } else if repository.commits.contains(sha) {
        "commit"
    } else {
        return Reply::error(422, "Object does not exist");
    };
    if repository.refs.contains_key(name) {
        return Reply::error(422, "Reference already exists");
    }
    repository.refs.insert(name.to_owned(), sha.to_owned());
    Reply::json(201, render_ref(base, owner, repo, name, sha, kind))
}

/// `POST /repos/{o}/{r}/git/tags`: an annotated tag object (no ref).
pub fn create_tag(
    state: &mut State,
    base: &str,
    owner: &str,
    repo: &str,
    body: Option<&Value>,
) -> Reply {
    let Some(repository) = state.repo_mut(owner, repo) else {
        return Reply::not_found();
    };
    let text = |key: &str| body.and_then(|body| body.get(key)).and_then(Value::as_str);
    let (Some(tag), Some(message), Some(object)) = (text("tag"), text("message"), text("object"))
    else {
        return Reply::invalid("tag, message and object are required");
    };
    let object_type = text("type").unwrap_or("commit");
    if object_type != "commit" || !repository.commits.contains(object) {
        return Reply::error(422, "Object does not exist");
    }
    // Like git, the object's sha is a hash of what it holds: the same tag twice is
    // the same object.
    let sha = hex(&Sha256::digest(
        format!("{tag}\0{message}\0{object}").as_bytes(),
    ))[..40]
        .to_owned();
    let tag_object = TagObject {
        sha: sha.clone(),
        tag: tag.to_owned(),
        message: message.to_owned(),
        object_sha: object.to_owned(),
        object_type: object_type.to_owned(),
    };
    let answer = render_tag(base, owner, repo, &tag_object);
    repository.tag_objects.insert(sha, tag_object);
    Reply::json(201, answer)
}

/// `GET /repos/{o}/{r}/git/tags/{sha}`.
pub fn get_tag(state: &State, base: &str, owner: &str, repo: &str, sha: &str) -> Reply {
    match state
        .repo(owner, repo)
        .and_then(|repository| repository.tag_objects.get(sha))
    {
        Some(tag) => Reply::json(200, render_tag(base, owner, repo, tag)),
        None => Reply::not_found(),
    }
}

fn render_ref(base: &str, owner: &str, repo: &str, name: &str, sha: &str, kind: &str) -> Value {
    let plural = if kind == "tag" { "tags" } else { "commits" };
    json!({
        "ref": name,
        "node_id": format!("REF_{}", &sha[..sha.len().min(12)]),
        "url": format!("{base}/repos/{owner}/{repo}/git/{name}"),
        "object": {
            "sha": sha,
            "type": kind,
            "url": format!("{base}/repos/{owner}/{repo}/git/{plural}/{sha}"),
        },
    })
}

fn render_tag(base: &str, owner: &str, repo: &str, tag: &TagObject) -> Value {
    json!({
        "sha": tag.sha,
        "node_id": format!("TAG_{}", &tag.sha[..12]),
        "tag": tag.tag,
        "message": tag.message,
        "url": format!("{base}/repos/{owner}/{repo}/git/tags/{}", tag.sha),
        "object": {
            "sha": tag.object_sha,
            "type": tag.object_type,
            "url": format!("{base}/repos/{owner}/{repo}/git/commits/{}", tag.object_sha),
        },
        "tagger": { "name": "kato", "email": "kato@example.invalid", "date": "2026-01-01T00:00:00Z" },
        "verification": { "verified": false, "reason": "unsigned" },
    })
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
