//! Publishing a GitHub release so that it can be rerun after any failure: the remote
//! preflight, the annotated tag, a draft, the uploads, their verification, and only
//! then publication. Until the last call nothing is visible to users; a rerun finds the
//! draft and the assets already uploaded, and carries on from there.

use std::time::Instant;

use github_actions::escape_text;
use github_api::{
    ApiError, Fields, GitHub, Method, Progress, RepoName, Response, path_segment, upload_target,
};
use serde_json::{Value, json};
use version_check::short_commit;

use crate::assets::{LocalAsset, RemoteAsset, Removal, plan_assets, verify_assets};

/// What to publish.
#[derive(Debug, Clone)]
pub struct ReleaseSpec {
    /// The repository.
    pub repo: RepoName,
    /// The tag, `v0.1.0`.
    pub tag: String,
    /// The commit the tag must point at.
    pub commit: String,
    /// The release's title.
    pub title: String,
    /// The release notes.
    pub notes: String,
    /// The files: the artifacts, the installers and `SHA256SUMS`.
    pub assets: Vec<LocalAsset>,
    /// A pre-release (a semver pre-release version, `1.2.0-rc.1`): published as one, and
    /// never made the repository's Latest release.
    pub prerelease: bool,
}

impl ReleaseSpec {
    /// The body of the call that publishes the draft: a pre-release is marked so and not
    /// made Latest; any other release is made Latest.
    pub fn publication(&self) -> Value {
        json!({
            "draft": false,
            "prerelease": self.prerelease,
            "make_latest": if self.prerelease { "false" } else { "true" },
        })
    }
}

/// Where the publisher reports progress.
pub trait Report {
    /// A step done or under way, one line.
    fn line(&self, text: &str);
    /// An upload starts; the callback hears the bytes sent so far.
    fn upload(&self, asset: &LocalAsset) -> Progress;
    /// An upload ended well after `seconds`.
    fn uploaded(&self, asset: &LocalAsset, seconds: f64);
}

/// A published release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The release page, as GitHub names it (control characters escaped).
    pub url: String,
    /// Files uploaded by this run.
    pub uploaded: usize,
    /// Files a previous run had uploaded already.
    pub kept: usize,
}

/// Why publishing stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// Refused before anything was changed.
    #[error("{0}")]
    Refused(String),
    /// Failed after the remote preflight; `draft` is the draft release's page when one
    /// was left to resume, `changed` whether this run made a call that may have changed
    /// something ([`GitHub::writes_made`]).
    #[error("{message}")]
    Failed {
        /// What failed.
        message: String,
        /// The draft left behind, if any.
        draft: Option<String>,
        /// Whether a call that changes something was made (and not refused).
        changed: bool,
    },
}

/// The draft release a run works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Its id.
    pub id: u64,
    /// Its `upload_url` template, as GitHub sent it (the client checks where it points).
    pub upload_url: String,
    /// Its page, to print (control characters escaped).
    pub html_url: String,
}

impl Draft {
    fn read(fields: &Fields<'_>) -> Result<Self, String> {
        Ok(Self {
            id: fields.u64("id")?,
            upload_url: fields.str("upload_url")?.to_owned(),
            html_url: escape_text(fields.str("html_url")?).into_owned(),
        })
    }
}

/// What the remote preflight found: how to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// A draft of an earlier run to resume.
    pub draft: Option<Draft>,
    /// Whether the tag exists (at the commit) already.
    pub tag_exists: bool,
}

/// The page of the published release for `tag` (control characters escaped), if there
/// is one. Drafts are not published: GitHub does not find them by tag.
pub fn published_release(
    github: &GitHub,
    repo: &RepoName,
    tag: &str,
) -> Result<Option<String>, ApiError> {
    let path = format!("{}/releases/tags/{}", repo.api_path(), path_segment(tag));
    match github.request(Method::Get, &path, None) {
        Ok(release) => read(&release, Method::Get, &path, |body| {
            let url = Fields::of(body, "the release")?.str("html_url")?;
            Ok(Some(escape_text(url).into_owned()))
        }),
        Err(error) if error.status() == Some(404) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The commit the tag `tag` points at on GitHub (through an annotated tag object),
/// if the tag exists.
pub fn tag_commit(github: &GitHub, repo: &RepoName, tag: &str) -> Result<Option<String>, ApiError> {
    let path = format!("{}/git/ref/tags/{}", repo.api_path(), path_segment(tag));
    let reference = match github.request(Method::Get, &path, None) {
        Ok(reference) => reference,
        Err(error) if error.status() == Some(404) => return Ok(None),
        Err(error) => return Err(error),
    };
    let (sha, kind) = read(&reference, Method::Get, &path, |body| {
        let object = Fields::of(body, "the ref")?.object("object")?;
        Ok((
            object.object_id("sha")?.to_owned(),
            object.str("type")?.to_owned(),
        ))
    })?;
    if kind != "tag" {
        return Ok(Some(sha));
    }
    let path = format!("{}/git/tags/{sha}", repo.api_path());
    let tag_object = github.request(Method::Get, &path, None)?;
    read(&tag_object, Method::Get, &path, |body| {
        let object = Fields::of(body, "the tag")?.object("object")?;
        Ok(Some(object.object_id("sha")?.to_owned()))
    })
}

/// The error for an answer to `method path` (status `status`) that cannot be used.
fn unreadable(method: Method, path: &str, status: u16, message: String) -> ApiError {
    ApiError::Unreadable {
        method,
        path: path.to_owned(),
        status,
        message,
    }
}

/// What `answer` (to `method path`) holds, as `from` reads it; an answer it cannot read
/// is [`ApiError::Unreadable`].
fn read<T>(
    answer: &Response,
    method: Method,
    path: &str,
    from: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<T, ApiError> {
    from(&answer.body).map_err(|message| unreadable(method, path, answer.status, message))
}

/// The remote preflight: refuses when `spec.tag` is published already or points at
/// another commit, or when several drafts claim it; otherwise says whether there is a
/// draft to resume and whether the tag exists.
pub fn remote_preflight(github: &GitHub, spec: &ReleaseSpec) -> Result<Start, PublishError> {
    let read = |error: ApiError| PublishError::Refused(describe(&error, &spec.repo));
    if let Some(url) = published_release(github, &spec.repo, &spec.tag).map_err(read)? {
        return Err(PublishError::Refused(format!(
            "{} is published already ({url}): a published release is never changed; \
             release a new version (cargo xtask bump patch)",
            spec.tag
        )));
    }
    let tag_exists = match tag_commit(github, &spec.repo, &spec.tag).map_err(read)? {
        Some(commit) if commit != spec.commit => {
            return Err(PublishError::Refused(format!(
                "the tag {} on GitHub points at {}, not at {}, the commit to release: \
                 release that commit, or delete the tag if it was pushed by mistake",
                spec.tag,
                short_commit(&commit),
                short_commit(&spec.commit)
            )));
        }
        Some(_) => true,
        None => false,
    };
    let drafts = drafts(github, &spec.repo, &spec.tag).map_err(read)?;
    let draft = match drafts.as_slice() {
        [] => None,
        [draft] => Some(draft.clone()),
        many => {
            return Err(PublishError::Refused(format!(
                "{} drafts are releases of {}: {}; delete all but one on GitHub, then rerun",
                many.len(),
                spec.tag,
                many.iter()
                    .map(|draft| draft.html_url.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    Ok(Start { draft, tag_exists })
}

/// Publishes `spec`: the remote preflight, the tag, the draft, the uploads, the
/// verification, then publication.
pub fn publish(
    github: &GitHub,
    spec: &ReleaseSpec,
    report: &dyn Report,
) -> Result<Published, PublishError> {
    let start = remote_preflight(github, spec)?;
    // Whether this run changed anything is what the client counts, not what it meant to
    // do: a call whose answer could not be read may have taken effect.
    let writes_before = github.writes_made();
    let failed = |error: ApiError, draft: Option<&Draft>| PublishError::Failed {
        message: describe(&error, &spec.repo),
        draft: draft.map(|draft| draft.html_url.clone()),
        changed: github.writes_made() > writes_before,
    };
    if start.tag_exists {
        report.line(&format!(
            "tag {} is at {} already",
            spec.tag,
            short_commit(&spec.commit)
        ));
    } else {
        create_tag(github, spec).map_err(|error| failed(error, None))?;
        report.line(&format!(
            "tagged {} at {}",
            spec.tag,
            short_commit(&spec.commit)
        ));
    }
    let draft = match start.draft {
        Some(draft) => {
            report.line(&format!("resuming the draft {}", draft.html_url));
            draft
        }
        None => {
            let draft = create_draft(github, spec).map_err(|error| failed(error, None))?;
            report.line(&format!("created the draft {}", draft.html_url));
            draft
        }
    };
    let (uploaded, kept) =
        sync_assets(github, spec, &draft, report).map_err(|error| failed(error, Some(&draft)))?;
    let remote =
        list_assets(github, &spec.repo, draft.id).map_err(|error| failed(error, Some(&draft)))?;
    let problems = verify_assets(&spec.assets, &remote);
    if !problems.is_empty() {
        return Err(PublishError::Failed {
            message: format!(
                "the draft's assets are not the files released: {}",
                problems.join("; ")
            ),
            draft: Some(draft.html_url),
            changed: true,
        });
    }
    report.line(&format!(
        "verified {} assets: every digest equals the local SHA-256",
        remote.len()
    ));
    let path = format!("{}/releases/{}", spec.repo.api_path(), draft.id);
    let release = github
        .request(Method::Patch, &path, Some(&spec.publication()))
        .map_err(|error| failed(error, Some(&draft)))?;
    // Published now, whatever the answer says: an answer without its page is no draft.
    let url = read(&release, Method::Patch, &path, |body| {
        Ok(escape_text(Fields::of(body, "the release")?.str("html_url")?).into_owned())
    })
    .map_err(|error| failed(error, None))?;
    Ok(Published {
        url,
        uploaded,
        kept,
    })
}

/// The calls a fresh release makes, one line each, for `--dry-run`.
pub fn planned_calls(spec: &ReleaseSpec) -> Vec<String> {
    let repo = spec.repo.api_path();
    let tag = path_segment(&spec.tag);
    let mut calls = vec![
        format!("GET {repo}/releases/tags/{tag}  (refuse if published)"),
        format!("GET {repo}/git/ref/tags/{tag}  (refuse if at another commit)"),
        format!("GET {repo}/releases?per_page=100&page=1...  (find a draft to resume)"),
        format!(
            "POST {repo}/git/tags  {}",
            json!({ "tag": spec.tag, "message": spec.title, "object": spec.commit, "type": "commit" })
        ),
        format!(
            "POST {repo}/git/refs  {}",
            json!({ "ref": format!("refs/tags/{}", spec.tag), "sha": "<the tag object>" })
        ),
        format!(
            "POST {repo}/releases  {}",
            json!({ "tag_name": spec.tag, "target_commitish": spec.commit, "name": spec.title, "draft": true, "prerelease": spec.prerelease, "body": format!("<the {} bytes of notes below>", spec.notes.len()) })
        ),
        format!("GET {repo}/releases/<id>/assets  (skip, replace or delete what is there)"),
    ];
    for asset in &spec.assets {
        calls.push(format!(
            "POST <upload_url>?name={}  ({} bytes, sha256 {})",
            asset.name, asset.size, asset.sha256
        ));
    }
    calls.push(format!(
        "GET {repo}/releases/<id>/assets  (verify names and digests)"
    ));
    calls.push(format!(
        "PATCH {repo}/releases/<id>  {}",
        spec.publication()
    ));
    calls
}

/// The drafts of `tag`, oldest first. Every release listed must be readable: one that
/// is not could be the draft, and passing over it would make another.
fn drafts(github: &GitHub, repo: &RepoName, tag: &str) -> Result<Vec<Draft>, ApiError> {
    let path = format!("{}/releases", repo.api_path());
    let releases = github.list(&path, None)?;
    let mut drafts = Vec::new();
    for (n, release) in releases.iter().enumerate() {
        let draft = (|| {
            let fields = Fields::of(release, format!("release {} of the listing", n + 1))?;
            fields.u64("id")?;
            if fields.bool("draft")? && fields.str("tag_name")? == tag {
                Draft::read(&fields).map(Some)
            } else {
                Ok(None)
            }
        })()
        .map_err(|message| unreadable(Method::Get, &path, 200, message))?;
        drafts.extend(draft);
    }
    drafts.reverse();
    Ok(drafts)
}

/// Every asset of the release, each readable.
fn list_assets(
    github: &GitHub,
    repo: &RepoName,
    release: u64,
) -> Result<Vec<RemoteAsset>, ApiError> {
    let path = format!("{}/releases/{release}/assets", repo.api_path());
    github
        .list(&path, None)?
        .iter()
        .enumerate()
        .map(|(n, asset)| {
            RemoteAsset::from_json(asset, &format!("asset {} of the listing", n + 1))
                .map_err(|message| unreadable(Method::Get, &path, 200, message))
        })
        .collect()
}

fn delete_asset(github: &GitHub, repo: &RepoName, asset: u64) -> Result<(), ApiError> {
    let path = format!("{}/releases/assets/{asset}", repo.api_path());
    match github.request(Method::Delete, &path, None) {
        Err(error) if error.status() == Some(404) => Ok(()),
        other => other.map(drop),
    }
}

/// A call that creates something, its answer read by `made`, repeated as the client's
/// policy says; before each repeat, `existing` looks for what an attempt that seemed to
/// fail may have made. An answer that cannot be read is not repeated: the call took.
fn create<T>(
    github: &GitHub,
    path: &str,
    body: &Value,
    made: impl Fn(&Value) -> Result<T, String>,
    existing: impl Fn() -> Result<Option<T>, ApiError>,
) -> Result<T, ApiError> {
    let mut attempt = 1;
    loop {
        match github.request_once(Method::Post, path, Some(body)) {
            Ok(response) => return read(&response, Method::Post, path, &made),
            Err(error) => {
                if let Some(found) = existing()? {
                    return Ok(found);
                }
                github.wait_to_retry(attempt, error)?;
                attempt += 1;
            }
        }
    }
}

/// The annotated tag: a tag object, then the ref to it.
fn create_tag(github: &GitHub, spec: &ReleaseSpec) -> Result<(), ApiError> {
    let repo = spec.repo.api_path();
    let object = create(
        github,
        &format!("{repo}/git/tags"),
        &json!({ "tag": spec.tag, "message": spec.title, "object": spec.commit, "type": "commit" }),
        |body| Ok(Fields::of(body, "the tag")?.object_id("sha")?.to_owned()),
        || Ok(None),
    )?;
    let made = |commit: Option<String>| commit.filter(|commit| *commit == spec.commit);
    create(
        github,
        &format!("{repo}/git/refs"),
        &json!({ "ref": format!("refs/tags/{}", spec.tag), "sha": object }),
        |_| Ok(()),
        || Ok(made(tag_commit(github, &spec.repo, &spec.tag)?).map(drop)),
    )
}

fn create_draft(github: &GitHub, spec: &ReleaseSpec) -> Result<Draft, ApiError> {
    let body = json!({
        "tag_name": spec.tag,
        "target_commitish": spec.commit,
        "name": spec.title,
        "body": spec.notes,
        "draft": true,
        "prerelease": spec.prerelease,
    });
    create(
        github,
        &format!("{}/releases", spec.repo.api_path()),
        &body,
        |made| Draft::read(&Fields::of(made, "the release")?),
        || Ok(drafts(github, &spec.repo, &spec.tag)?.pop()),
    )
}

/// Deletes what does not belong, uploads what is missing; returns how many files were
/// uploaded and how many were there already.
fn sync_assets(
    github: &GitHub,
    spec: &ReleaseSpec,
    draft: &Draft,
    report: &dyn Report,
) -> Result<(usize, usize), ApiError> {
    let remote = list_assets(github, &spec.repo, draft.id)?;
    let plan = plan_assets(&spec.assets, &remote);
    for (asset, why) in &plan.delete {
        let why = match why {
            Removal::Leftover => format!(
                "left in state {} by a failed upload",
                escape_text(&asset.state)
            ),
            Removal::Different => "holds other bytes".to_owned(),
            Removal::Unexpected => "is not one of the files released".to_owned(),
            Removal::Duplicate => "is listed twice".to_owned(),
        };
        report.line(&format!(
            "deleting the asset {}: it {why}",
            escape_text(&asset.name)
        ));
        delete_asset(github, &spec.repo, asset.id)?;
    }
    for name in &plan.keep {
        report.line(&format!(
            "{} is uploaded already, same digest: skipped",
            escape_text(name)
        ));
    }
    for file in &plan.upload {
        upload(github, spec, draft, file, report)?;
    }
    Ok((plan.upload.len(), plan.keep.len()))
}

/// One file, streamed from disk; a failed attempt is cleaned up (the asset it may
/// have left holds the name) before the next.
fn upload(
    github: &GitHub,
    spec: &ReleaseSpec,
    draft: &Draft,
    file: &LocalAsset,
    report: &dyn Report,
) -> Result<(), ApiError> {
    let content_type = if file.name == crate::SHA256SUMS {
        "text/plain"
    } else {
        "application/octet-stream"
    };
    let url = upload_target(&draft.upload_url, &file.name, None);
    let mut attempt = 1;
    loop {
        if attempt > 1 {
            for asset in list_assets(github, &spec.repo, draft.id)? {
                if asset.name != file.name {
                    continue;
                }
                if asset.matches(file) {
                    return Ok(());
                }
                delete_asset(github, &spec.repo, asset.id)?;
            }
        }
        let started = Instant::now();
        match github.upload(&url, &file.path, content_type, report.upload(file)) {
            Ok(_) => {
                report.uploaded(file, started.elapsed().as_secs_f64());
                return Ok(());
            }
            Err(error) => {
                github.wait_to_retry(attempt, error)?;
                attempt += 1;
            }
        }
    }
}

/// An error of a call, with what to do about a refusal for want of permission.
fn describe(error: &ApiError, repo: &RepoName) -> String {
    if error.is_forbidden() {
        format!(
            "the token may not write releases of {repo}: {error}. Publishing needs \
             `permissions: contents: write` on the workflow job (a fine-grained token: \
             \"Contents: Read and write\"; a classic token: the repo scope)"
        )
    } else if error.status() == Some(401) {
        format!("GitHub refused the token: {error}. Set GITHUB_TOKEN to a valid token")
    } else {
        error.to_string()
    }
}
