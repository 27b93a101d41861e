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

use crate::assets::{RemoteAsset, Removal, plan_assets, verify_assets};
use crate::files::LocalAsset;

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

/// What GitHub holds of the release before publishing changes anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remote {
    /// Whether the tag exists, at the commit.
    pub tag_exists: bool,
    /// The draft an earlier run left, with its assets.
    pub draft: Option<(Draft, Vec<RemoteAsset>)>,
}

/// Reads what GitHub holds: the remote preflight, then the assets of the draft it found.
pub fn read_remote(github: &GitHub, spec: &ReleaseSpec) -> Result<Remote, PublishError> {
    let start = remote_preflight(github, spec)?;
    let draft = match start.draft {
        None => None,
        Some(draft) => {
            let assets = list_assets(github, &spec.repo, draft.id)
                .map_err(|error| PublishError::Refused(describe(&error, &spec.repo)))?;
            Some((draft, assets))
        }
    };
    Ok(Remote {
        tag_exists: start.tag_exists,
        draft,
    })
}

/// One call of publishing, in the order made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Creates the annotated tag object.
    TagObject,
    /// Makes the tag's ref, pointing at the tag object.
    TagRef,
    /// Creates the draft.
    Draft,
    /// Deletes an asset of the draft that is not one of the files, and why.
    Delete(RemoteAsset, Removal),
    /// Uploads a file.
    Upload(LocalAsset),
    /// Lists the draft's assets again, to verify names and digests.
    Verify,
    /// Publishes the draft.
    Publish,
}

/// What publishing does from what GitHub holds: the calls, and the files already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishPlan {
    /// The calls, in order.
    pub calls: Vec<Call>,
    /// Files uploaded already, byte for byte: skipped.
    pub kept: Vec<String>,
}

/// The calls that make GitHub hold `spec` published, from `remote`: the tag unless it
/// exists, a draft unless one is resumed, the deletions and uploads that make the draft's
/// assets the files, the verification, the publication.
pub fn plan_publish(spec: &ReleaseSpec, remote: &Remote) -> PublishPlan {
    let mut calls = Vec::new();
    if !remote.tag_exists {
        calls.extend([Call::TagObject, Call::TagRef]);
    }
    let assets = match &remote.draft {
        Some((_, assets)) => plan_assets(&spec.assets, assets),
        None => {
            calls.push(Call::Draft);
            plan_assets(&spec.assets, &[])
        }
    };
    calls.extend(
        assets
            .delete
            .into_iter()
            .map(|(asset, why)| Call::Delete(asset, why)),
    );
    calls.extend(assets.upload.into_iter().map(Call::Upload));
    calls.extend([Call::Verify, Call::Publish]);
    PublishPlan {
        calls,
        kept: assets.keep,
    }
}

impl Call {
    /// The call as a line: method, path (the draft's id, or `<id>` before there is a
    /// draft) and body, for a dry run.
    pub fn line(&self, spec: &ReleaseSpec, draft: Option<&Draft>) -> String {
        let repo = spec.repo.api_path();
        let id = draft.map_or_else(|| "<id>".to_owned(), |draft| draft.id.to_string());
        match self {
            Call::TagObject => format!("POST {repo}/git/tags  {}", tag_body(spec)),
            Call::TagRef => format!(
                "POST {repo}/git/refs  {}",
                json!({ "ref": format!("refs/tags/{}", spec.tag), "sha": "<the tag object>" })
            ),
            Call::Draft => {
                let mut body = draft_body(spec);
                body["body"] = json!(format!("<the {} bytes of notes below>", spec.notes.len()));
                format!("POST {repo}/releases  {body}")
            }
            Call::Delete(asset, why) => format!(
                "DELETE {repo}/releases/assets/{}  ({} {})",
                asset.id,
                escape_text(&asset.name),
                removal(asset, *why)
            ),
            Call::Upload(file) => {
                let url = draft.map_or_else(
                    || "<upload_url>".to_owned(),
                    |draft| upload_target(&draft.upload_url, "", None).replace("?name=", ""),
                );
                format!(
                    "POST {url}?name={}  ({} bytes, sha256 {})",
                    file.name, file.size, file.sha256
                )
            }
            Call::Verify => format!("GET {repo}/releases/{id}/assets  (verify names and digests)"),
            Call::Publish => format!("PATCH {repo}/releases/{id}  {}", spec.publication()),
        }
    }
}

/// The reads every publication makes first, as lines (the draft's assets when there is a
/// draft), for a dry run.
pub fn planned_reads(spec: &ReleaseSpec) -> Vec<String> {
    let repo = spec.repo.api_path();
    let tag = path_segment(&spec.tag);
    vec![
        format!("GET {repo}/releases/tags/{tag}  (refuse if published)"),
        format!("GET {repo}/git/ref/tags/{tag}  (refuse if at another commit)"),
        format!("GET {repo}/releases?per_page=100&page=1...  (find a draft to resume)"),
        format!("GET {repo}/releases/<draft>/assets  (when there is one)"),
    ]
}

/// Publishes `spec`: reads what GitHub holds, plans, and applies the plan.
pub fn publish(
    github: &GitHub,
    spec: &ReleaseSpec,
    report: &dyn Report,
) -> Result<Published, PublishError> {
    let remote = read_remote(github, spec)?;
    let plan = plan_publish(spec, &remote);
    apply(github, spec, remote, &plan, report)
}

/// Makes the calls of `plan` (from [`plan_publish`] on `remote`), each with its retries.
pub fn apply(
    github: &GitHub,
    spec: &ReleaseSpec,
    remote: Remote,
    plan: &PublishPlan,
    report: &dyn Report,
) -> Result<Published, PublishError> {
    // Whether this run changed anything is what the client counts, not what it meant to
    // do: a call whose answer could not be read may have taken effect.
    let writes_before = github.writes_made();
    let failed = |error: ApiError, draft: Option<&Draft>| PublishError::Failed {
        message: describe(&error, &spec.repo),
        draft: draft.map(|draft| draft.html_url.clone()),
        changed: github.writes_made() > writes_before,
    };
    if remote.tag_exists {
        report.line(&format!(
            "tag {} is at {} already",
            spec.tag,
            short_commit(&spec.commit)
        ));
    }
    let mut draft = remote.draft.map(|(draft, _)| {
        report.line(&format!("resuming the draft {}", draft.html_url));
        draft
    });
    let mut tag_object = None;
    let mut uploaded = 0;
    let mut kept_said = false;
    for call in &plan.calls {
        let current = draft.as_ref();
        if !kept_said && matches!(call, Call::Upload(_) | Call::Verify) {
            for name in &plan.kept {
                report.line(&format!(
                    "{} is uploaded already, same digest: skipped",
                    escape_text(name)
                ));
            }
            kept_said = true;
        }
        match call {
            Call::TagObject => {
                tag_object = Some(create_tag_object(github, spec).map_err(|e| failed(e, None))?);
            }
            Call::TagRef => {
                let object = tag_object.as_deref().expect("the tag object is made first");
                create_tag_ref(github, spec, object).map_err(|e| failed(e, None))?;
                report.line(&format!(
                    "tagged {} at {}",
                    spec.tag,
                    short_commit(&spec.commit)
                ));
            }
            Call::Draft => {
                let made = create_draft(github, spec).map_err(|e| failed(e, None))?;
                report.line(&format!("created the draft {}", made.html_url));
                draft = Some(made);
            }
            Call::Delete(asset, why) => {
                report.line(&format!(
                    "deleting the asset {}: it {}",
                    escape_text(&asset.name),
                    removal(asset, *why)
                ));
                delete_asset(github, &spec.repo, asset.id).map_err(|e| failed(e, current))?;
            }
            Call::Upload(file) => {
                let on = current.expect("a draft is made before uploads");
                upload(github, spec, on, file, report).map_err(|e| failed(e, current))?;
                uploaded += 1;
            }
            Call::Verify => {
                let on = current.expect("a draft is made before its verification");
                let listed =
                    list_assets(github, &spec.repo, on.id).map_err(|e| failed(e, current))?;
                let problems = verify_assets(&spec.assets, &listed);
                if !problems.is_empty() {
                    return Err(PublishError::Failed {
                        message: format!(
                            "the draft's assets are not the files released: {}",
                            problems.join("; ")
                        ),
                        draft: Some(on.html_url.clone()),
                        changed: true,
                    });
                }
                report.line(&format!(
                    "verified {} assets: every digest equals the local SHA-256",
                    listed.len()
                ));
            }
            Call::Publish => {
                let on = current.expect("a draft is made before it is published");
                let path = format!("{}/releases/{}", spec.repo.api_path(), on.id);
                let release = github
                    .request(Method::Patch, &path, Some(&spec.publication()))
                    .map_err(|e| failed(e, current))?;
                // Published now, whatever the answer says: an answer without its page is
                // no draft.
                let url = read(&release, Method::Patch, &path, |body| {
                    Ok(escape_text(Fields::of(body, "the release")?.str("html_url")?).into_owned())
                })
                .map_err(|e| failed(e, None))?;
                return Ok(Published {
                    url,
                    uploaded,
                    kept: plan.kept.len(),
                });
            }
        }
    }
    unreachable!("a plan ends with its publication")
}

/// Why an asset is deleted, as a line says it.
fn removal(asset: &RemoteAsset, why: Removal) -> String {
    match why {
        Removal::Leftover => format!(
            "left in state {} by a failed upload",
            escape_text(&asset.state)
        ),
        Removal::Different => "holds other bytes".to_owned(),
        Removal::Unexpected => "is not one of the files released".to_owned(),
        Removal::Duplicate => "is listed twice".to_owned(),
    }
}

fn tag_body(spec: &ReleaseSpec) -> Value {
    json!({ "tag": spec.tag, "message": spec.title, "object": spec.commit, "type": "commit" })
}

fn draft_body(spec: &ReleaseSpec) -> Value {
    json!({
        "tag_name": spec.tag,
        "target_commitish": spec.commit,
        "name": spec.title,
        "body": spec.notes,
        "draft": true,
        "prerelease": spec.prerelease,
    })
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

/// The annotated tag object; its sha.
fn create_tag_object(github: &GitHub, spec: &ReleaseSpec) -> Result<String, ApiError> {
    create(
        github,
        &format!("{}/git/tags", spec.repo.api_path()),
        &tag_body(spec),
        |body| Ok(Fields::of(body, "the tag")?.object_id("sha")?.to_owned()),
        || Ok(None),
    )
}

/// The tag's ref, pointing at the tag object `object`.
fn create_tag_ref(github: &GitHub, spec: &ReleaseSpec, object: &str) -> Result<(), ApiError> {
    let made = |commit: Option<String>| commit.filter(|commit| *commit == spec.commit);
    create(
        github,
        &format!("{}/git/refs", spec.repo.api_path()),
        &json!({ "ref": format!("refs/tags/{}", spec.tag), "sha": object }),
        |_| Ok(()),
        || Ok(made(tag_commit(github, &spec.repo, &spec.tag)?).map(drop)),
    )
}

fn create_draft(github: &GitHub, spec: &ReleaseSpec) -> Result<Draft, ApiError> {
    create(
        github,
        &format!("{}/releases", spec.repo.api_path()),
        &draft_body(spec),
        |made| Draft::read(&Fields::of(made, "the release")?),
        || Ok(drafts(github, &spec.repo, &spec.tag)?.pop()),
    )
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
