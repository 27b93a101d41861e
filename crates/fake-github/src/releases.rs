//! Releases and their assets: list, get (by id, by tag), create, update, delete; the
//! state changes of an upload (`open`, then `uploaded` or `starter`).

use serde_json::{Value, json};

use crate::pages::Page;
use crate::router::Reply;
use crate::state::{Access, Asset, AssetState, Release, Repository, State};

/// Whether `access` sees drafts: only those who may push do.
fn sees_drafts(access: Access) -> bool {
    !matches!(access, Access::ReadOnlyIntegration)
}

/// `GET /repos/{o}/{r}/releases`, newest first, paginated.
pub fn list(state: &State, request: Page<'_>, owner: &str, repo: &str, access: Access) -> Reply {
    let Some(repository) = state.repo(owner, repo) else {
        return Reply::not_found();
    };
    let releases: Vec<Value> = repository
        .releases
        .iter()
        .rev()
        .filter(|release| !release.draft || sees_drafts(access))
        .map(|release| render(state, request.base, repository, release))
        .collect();
    let filler = |n: usize| {
        let release = Release {
            id: ENDLESS_IDS + n as u64,
            tag_name: format!("v999.0.{n}"),
            target_commitish: repository.default_branch.clone(),
            name: None,
            body: None,
            draft: false,
            prerelease: false,
            assets: Vec::new(),
        };
        render(state, request.base, repository, &release)
    };
    request.answer(releases, state.endless_pages.then_some(&filler))
}

/// Where the ids of the items an endless listing makes up start.
const ENDLESS_IDS: u64 = 1 << 40;

/// `GET /repos/{o}/{r}/releases/tags/{tag}`: the published release only; drafts have
/// no tag yet.
pub fn get_by_tag(state: &State, base: &str, owner: &str, repo: &str, tag: &str) -> Reply {
    let Some(repository) = state.repo(owner, repo) else {
        return Reply::not_found();
    };
    match repository.published_release(tag) {
        Some(release) => Reply::json(200, render(state, base, repository, release)),
        None => Reply::not_found(),
    }
}

/// `GET /repos/{o}/{r}/releases/{id}`.
pub fn get(state: &State, base: &str, owner: &str, repo: &str, id: &str, access: Access) -> Reply {
    let Some((repository, release)) = find(state, owner, repo, id) else {
        return Reply::not_found();
    };
    if release.draft && !sees_drafts(access) {
        return Reply::not_found();
    }
    Reply::json(200, render(state, base, repository, release))
}

/// `POST /repos/{o}/{r}/releases`.
pub fn create(
    state: &mut State,
    base: &str,
    owner: &str,
    repo: &str,
    body: Option<&Value>,
) -> Reply {
    let Some(body) = body.and_then(Value::as_object) else {
        return Reply::invalid("a JSON object is required");
    };
    let Some(tag) = body
        .get("tag_name")
        .and_then(Value::as_str)
        .filter(|tag| !tag.is_empty())
    else {
        return Reply::invalid("tag_name is required");
    };
    let draft = body.get("draft").and_then(Value::as_bool).unwrap_or(false);
    let id = state.next_id();
    let Some(repository) = state.repo_mut(owner, repo) else {
        return Reply::not_found();
    };
    if repository.published_release(tag).is_some() {
        return already_exists();
    }
    let release = Release {
        id,
        tag_name: tag.to_owned(),
        target_commitish: body
            .get("target_commitish")
            .and_then(Value::as_str)
            .unwrap_or(&repository.default_branch)
            .to_owned(),
        name: body.get("name").and_then(Value::as_str).map(str::to_owned),
        body: body.get("body").and_then(Value::as_str).map(str::to_owned),
        draft,
        prerelease: body
            .get("prerelease")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        assets: Vec::new(),
    };
    if !draft {
        if let Err(reply) = ensure_tag(repository, &release) {
            return reply;
        }
        mark_latest(repository, &release, body);
    }
    repository.releases.push(release);
    let repository = state.repo(owner, repo).expect("just used");
    let release = repository.releases.last().expect("just added");
    Reply::json(201, render(state, base, repository, release))
}

/// `PATCH /repos/{o}/{r}/releases/{id}`: `draft: false` publishes, making the tag when
/// it is missing.
pub fn update(
    state: &mut State,
    base: &str,
    owner: &str,
    repo: &str,
    id: &str,
    body: Option<&Value>,
) -> Reply {
    let Some(body) = body.and_then(Value::as_object) else {
        return Reply::invalid("a JSON object is required");
    };
    let Some(repository) = state.repo_mut(owner, repo) else {
        return Reply::not_found();
    };
    let Some(index) = repository
        .releases
        .iter()
        .position(|release| release.id.to_string() == id)
    else {
        return Reply::not_found();
    };
    let mut release = repository.releases[index].clone();
    if let Some(tag) = body.get("tag_name").and_then(Value::as_str) {
        release.tag_name = tag.to_owned();
    }
    for (key, field) in [("name", &mut release.name), ("body", &mut release.body)] {
        if let Some(text) = body.get(key).and_then(Value::as_str) {
            *field = Some(text.to_owned());
        }
    }
    if let Some(target) = body.get("target_commitish").and_then(Value::as_str) {
        release.target_commitish = target.to_owned();
    }
    let publishing = release.draft && body.get("draft").and_then(Value::as_bool) == Some(false);
    if let Some(draft) = body.get("draft").and_then(Value::as_bool) {
        release.draft = draft;
    }
    if let Some(prerelease) = body.get("prerelease").and_then(Value::as_bool) {
        release.prerelease = prerelease;
    }
    if !release.draft {
        let taken = repository.releases.iter().any(|other| {
            other.id != release.id && !other.draft && other.tag_name == release.tag_name
        });
        if taken {
            return already_exists();
        }
        if let Err(reply) = ensure_tag(repository, &release) {
            return reply;
        }
        if publishing || body.contains_key("make_latest") {
            mark_latest(repository, &release, body);
        }
    }
    repository.releases[index] = release;
    let repository = state.repo(owner, repo).expect("just used");
    Reply::json(
        200,
        render(state, base, repository, &repository.releases[index]),
    )
}

/// As GitHub: a published release becomes Latest unless `make_latest` is "false" (or
/// "legacy", by date, which here is the same); drafts and pre-releases never do.
fn mark_latest(
    repository: &mut crate::state::Repository,
    release: &Release,
    body: &serde_json::Map<String, Value>,
) {
    let asked = body
        .get("make_latest")
        .and_then(Value::as_str)
        .unwrap_or("true");
    if !release.draft && !release.prerelease && asked != "false" {
        repository.latest = Some(release.id);
    }
}

/// `DELETE /repos/{o}/{r}/releases/{id}`.
pub fn delete(state: &mut State, owner: &str, repo: &str, id: &str) -> Reply {
    let Some(repository) = state.repo_mut(owner, repo) else {
        return Reply::not_found();
    };
    let before = repository.releases.len();
    repository
        .releases
        .retain(|release| release.id.to_string() != id);
    if repository.releases.len() == before {
        Reply::not_found()
    } else {
        Reply::empty(204)
    }
}

/// `GET /repos/{o}/{r}/releases/{id}/assets`, paginated, every state.
pub fn list_assets(state: &State, request: Page<'_>, owner: &str, repo: &str, id: &str) -> Reply {
    let Some((repository, release)) = find(state, owner, repo, id) else {
        return Reply::not_found();
    };
    let assets = release
        .assets
        .iter()
        .map(|asset| render_asset(state, request.base, repository, release, asset))
        .collect();
    let filler = |n: usize| {
        let asset = Asset {
            id: ENDLESS_IDS + n as u64,
            name: format!("stray-{n}"),
            label: None,
            content_type: "application/octet-stream".to_owned(),
            state: AssetState::Uploaded,
            size: 1,
            digest: Some(format!("sha256:{:064x}", n)),
        };
        render_asset(state, request.base, repository, release, &asset)
    };
    request.answer(assets, state.endless_pages.then_some(&filler))
}

/// `GET /repos/{o}/{r}/releases/assets/{id}`.
pub fn get_asset(state: &State, base: &str, owner: &str, repo: &str, id: &str) -> Reply {
    let Some(repository) = state.repo(owner, repo) else {
        return Reply::not_found();
    };
    for release in &repository.releases {
        if let Some(asset) = release
            .assets
            .iter()
            .find(|asset| asset.id.to_string() == id)
        {
            return Reply::json(200, render_asset(state, base, repository, release, asset));
        }
    }
    Reply::not_found()
}

/// `DELETE /repos/{o}/{r}/releases/assets/{id}`.
pub fn delete_asset(state: &mut State, owner: &str, repo: &str, id: &str) -> Reply {
    let Some(repository) = state.repo_mut(owner, repo) else {
        return Reply::not_found();
    };
    for release in &mut repository.releases {
        let before = release.assets.len();
        release.assets.retain(|asset| asset.id.to_string() != id);
        if release.assets.len() != before {
            return Reply::empty(204);
        }
    }
    Reply::not_found()
}

/// An upload about to stream in: the asset, in state `open`, holding its name; or the
/// refusal (no such release, the name taken, no name).
pub fn begin_upload(
    state: &mut State,
    owner: &str,
    repo: &str,
    release_id: &str,
    name: Option<&str>,
    label: Option<&str>,
    content_type: &str,
) -> Result<u64, Reply> {
    let Some(name) = name.filter(|name| !name.is_empty()) else {
        return Err(Reply::error(
            400,
            "Bad Content-Length or name parameter missing",
        ));
    };
    let id = state.next_id();
    let release = state
        .repo_mut(owner, repo)
        .and_then(|repository| {
            repository
                .releases
                .iter_mut()
                .find(|release| release.id.to_string() == release_id)
        })
        .ok_or_else(Reply::not_found)?;
    if release.assets.iter().any(|asset| asset.name == name) {
        return Err(Reply::json(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{ "resource": "ReleaseAsset", "code": "already_exists", "field": "name" }],
                "documentation_url": "https://docs.github.com/rest/releases/assets#upload-a-release-asset",
                "status": "422",
            }),
        ));
    }
    release.assets.push(Asset {
        id,
        name: name.to_owned(),
        label: label.map(str::to_owned),
        content_type: content_type.to_owned(),
        state: AssetState::Open,
        size: 0,
        digest: None,
    });
    Ok(id)
}

/// The asset `id` of an upload in progress: `size` bytes so far, and `digest` when it
/// is complete. Returns the asset's JSON.
pub fn end_upload(
    state: &mut State,
    base: &str,
    owner: &str,
    repo: &str,
    id: u64,
    size: u64,
    outcome: UploadEnd,
) -> Option<Value> {
    let repository = state.repo_mut(owner, repo)?;
    for release in &mut repository.releases {
        let Some(index) = release.assets.iter().position(|asset| asset.id == id) else {
            continue;
        };
        match outcome {
            UploadEnd::Uploaded(digest) => {
                let asset = &mut release.assets[index];
                asset.state = AssetState::Uploaded;
                asset.size = size;
                asset.digest = Some(format!("sha256:{digest}"));
            }
            UploadEnd::Starter => {
                let asset = &mut release.assets[index];
                asset.state = AssetState::Starter;
                asset.size = size;
            }
            UploadEnd::Gone => {
                release.assets.remove(index);
                return None;
            }
        }
        let repository = state.repo(owner, repo)?;
        let release = repository
            .releases
            .iter()
            .find(|r| r.assets.iter().any(|a| a.id == id))?;
        let asset = release.assets.iter().find(|asset| asset.id == id)?;
        return Some(render_asset(state, base, repository, release, asset));
    }
    None
}

/// How an upload ended.
pub enum UploadEnd {
    /// Complete, with the hex SHA-256 of its bytes.
    Uploaded(String),
    /// Failed in a way that leaves the name held (a 502 upstream, a dropped body).
    Starter,
    /// Failed and left nothing.
    Gone,
}

fn find<'a>(
    state: &'a State,
    owner: &str,
    repo: &str,
    id: &str,
) -> Option<(&'a Repository, &'a Release)> {
    let repository = state.repo(owner, repo)?;
    let release = repository
        .releases
        .iter()
        .find(|release| release.id.to_string() == id)?;
    Some((repository, release))
}

fn already_exists() -> Reply {
    Reply::json(
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "Release", "code": "already_exists", "field": "tag_name" }],
            "documentation_url": "https://docs.github.com/rest/releases/releases#create-a-release",
            "status": "422",
        }),
    )
}

/// Publishing a release whose tag does not exist makes a lightweight tag at its
/// target: a branch's head, or a commit.
fn ensure_tag(repository: &mut Repository, release: &Release) -> Result<(), Reply> {
    let name = format!("refs/tags/{}", release.tag_name);
    if repository.refs.contains_key(&name) {
        return Ok(());
    }
    let target = &release.target_commitish;
    let commit = repository
        .refs
        .get(&format!("refs/heads/{target}"))
        .cloned()
        .or_else(|| repository.commits.contains(target).then(|| target.clone()));
    match commit {
        Some(commit) => {
            repository.refs.insert(name, commit);
            Ok(())
        }
        None => Err(Reply::invalid(
            "target_commitish is not a branch or commit of the repository",
        )),
    }
}

fn render(state: &State, base: &str, repository: &Repository, release: &Release) -> Value {
    let full = format!("{}/{}", repository.owner, repository.name);
    let id = release.id;
    json!({
        "id": render_id(state, id),
        "node_id": format!("RE_{id}"),
        "url": format!("{base}/repos/{full}/releases/{id}"),
        "html_url": if release.draft {
            format!("https://github.com/{full}/releases/tag/untagged-{id}")
        } else {
            format!("https://github.com/{full}/releases/tag/{}", release.tag_name)
        },
        "assets_url": format!("{base}/repos/{full}/releases/{id}/assets"),
        "upload_url": format!(
            "{}/repos/{full}/releases/{id}/assets{{?name,label}}",
            state.upload_url_base.as_deref().unwrap_or(&state.upload_base)
        ),
        "tag_name": release.tag_name,
        "target_commitish": release.target_commitish,
        "name": release.name,
        "body": release.body,
        "draft": release.draft,
        "prerelease": release.prerelease,
        "created_at": "2026-01-01T00:00:00Z",
        "published_at": if release.draft { Value::Null } else { json!("2026-01-01T00:00:00Z") },
        "author": { "login": repository.owner },
        "assets": release.assets.iter().map(|asset| render_asset(state, base, repository, release, asset)).collect::<Vec<_>>(),
    })
}

/// An id as JSON: a number, or a string when the state is hostile so.
fn render_id(state: &State, id: u64) -> Value {
    if state.ids_as_strings {
        json!(id.to_string())
    } else {
        json!(id)
    }
}

fn render_asset(
    state: &State,
    base: &str,
    repository: &Repository,
    release: &Release,
    asset: &Asset,
) -> Value {
    let full = format!("{}/{}", repository.owner, repository.name);
    json!({
        "id": render_id(state, asset.id),
        "node_id": format!("RA_{}", asset.id),
        "name": asset.name,
        "label": asset.label,
        "content_type": asset.content_type,
        "state": asset.state.as_str(),
        "size": asset.size,
        "digest": asset.digest,
        "download_count": 0,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "url": format!("{base}/repos/{full}/releases/assets/{}", asset.id),
        "browser_download_url": format!("https://github.com/{full}/releases/download/{}/{}", release.tag_name, asset.name),
        "uploader": { "login": repository.owner },
    })
}
