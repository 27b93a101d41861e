//! The steps of publishing: the release spec and its notes, the client, the publisher's
//! progress on a terminal or in a log, and what a failure tells the user.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::App;
use github_actions::Actions;
use github_api::{Progress, RepoName};
use indicatif::{ProgressBar, ProgressStyle};
use release_publisher::{
    Audited, DEFAULT_BIN, InstallerPlan, LocalAsset, PublishError, Published, ReleasePolicy,
    ReleaseSpec, Remote, Report, Target, changelog_section, notes_from_commits, plan_publish,
    planned_reads, read_remote, release_files,
};
use semver::Version;
use version_check::tag_name;
use xshell::{Shell, cmd};

use crate::failure::check_failed;
use crate::output::Stream;

/// What to publish: the release of `version` titled `<name> v<version>`, with its notes
/// and the policy's disclosure, and the files (the artifacts, then the installers and
/// `SHA256SUMS`, which are written beside the artifacts in `dir`).
pub fn release_spec(
    app: &App,
    policy: &ReleasePolicy,
    git_root: &Utf8Path,
    repo: RepoName,
    version: &Version,
    commit: &str,
    release: Release<'_>,
) -> Result<ReleaseSpec> {
    let tag = tag_name(version);
    let notes = format!(
        "{}\n\n{}",
        notes(app, git_root, &tag, commit)?.trim_end(),
        policy.disclosure()
    );
    let installers = InstallerPlan {
        bin: release.bin.to_owned(),
        version: version.to_string(),
        download_url: format!(
            "{}/{repo}/releases/download/{tag}",
            github_api::web_url(&api_base()?)
        ),
        targets: release.targets.to_vec(),
    };
    let assets = release_files(release.dir, release.artifacts, &installers)?;
    Ok(ReleaseSpec {
        title: format!("{} {tag}", release.name),
        repo,
        tag,
        commit: commit.to_owned(),
        notes,
        assets,
        prerelease: !version.pre.is_empty(),
    })
}

/// The artifacts of a release and what names them.
pub struct Release<'a> {
    /// Where they are; the installers and SHA256SUMS are written here.
    pub dir: &'a Utf8Path,
    /// The audited artifacts.
    pub artifacts: Vec<LocalAsset>,
    /// Their targets.
    pub targets: &'a [&'static Target],
    /// The binary's name.
    pub bin: &'a str,
    /// The name in the release's title.
    pub name: &'a str,
}

/// The API base the release goes to: `GITHUB_API_URL`, else api.github.com.
fn api_base() -> Result<String> {
    match std::env::var("GITHUB_API_URL") {
        Ok(url) if !url.trim().is_empty() => Ok(github_api::api_url(&url)?),
        _ => Ok(github_api::DEFAULT_API_URL.to_owned()),
    }
}

/// The audited artifacts as the files publishing uploads.
pub fn local_assets(audited: Vec<Audited>) -> Vec<LocalAsset> {
    audited
        .into_iter()
        .map(|a| LocalAsset {
            name: a.name,
            path: a.path,
            size: a.size,
            sha256: a.sha256,
        })
        .collect()
}

/// The release notes: the CHANGELOG.md section of the version (in the app, else in the
/// project, else at the root of its git repository), else the subjects of the commits
/// since the previous `v*` tag.
pub fn notes(app: &App, git_root: &Utf8Path, tag: &str, commit: &str) -> Result<String> {
    let version = tag.trim_start_matches('v');
    for dir in [app.dir(), app.root().dir(), git_root] {
        let path = dir.join("CHANGELOG.md");
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Some(section) = changelog_section(&text, version)
        {
            eprintln!("release notes: the {version} section of {path}");
            return Ok(section);
        }
    }
    let sh = Shell::new()?;
    sh.change_dir(git_root);
    let previous = cmd!(sh, "git describe --tags --abbrev=0 --match v* {commit}^")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()
        .filter(|previous| previous != tag);
    let range = match &previous {
        Some(previous) => format!("{previous}..{commit}"),
        None => commit.to_owned(),
    };
    let subjects = cmd!(sh, "git log --format=%s {range}")
        .quiet()
        .read()
        .with_context(|| format!("cannot list the commits of {range} in {git_root}"))?;
    let subjects: Vec<String> = subjects.lines().map(str::to_owned).collect();
    eprintln!(
        "release notes: {} commit subjects since {}",
        subjects.len(),
        previous.as_deref().unwrap_or("the first commit")
    );
    Ok(notes_from_commits(&subjects, previous.as_deref()))
}

/// A dry run of publishing `spec`: with a token (and a repository to ask about), what
/// GitHub holds is read first, with the same reads and refusals as a real run; then the
/// plan is printed.
pub fn dry_run(spec: &ReleaseSpec) -> Result<()> {
    let named = spec.repo.to_string() != "OWNER/NAME";
    let remote = if named && github_api::Token::from_env().is_ok() {
        let github = crate::unpublished::client()?;
        Some(
            read_remote(&github, spec)
                .map_err(|error| anyhow!("{error}\nNothing was changed on GitHub."))?,
        )
    } else {
        None
    };
    print_plan(spec, remote.as_ref());
    Ok(())
}

/// The dry run: the calls publishing would make, planned from what GitHub holds
/// (`remote`, read with a token) or, without one, as for a release GitHub does not have
/// yet; then the notes, whole. The same plan is what a real run applies.
pub fn print_plan(spec: &ReleaseSpec, remote: Option<&Remote>) {
    let fresh = Remote::default();
    let plan = plan_publish(spec, remote.unwrap_or(&fresh));
    let mut text = format!(
        "dry run: nothing is changed. Publishing {} to {} reads first:\n",
        spec.tag, spec.repo
    );
    for read in planned_reads(spec) {
        text.push_str(&format!("  {read}\n"));
    }
    text.push_str(&match remote {
        Some(remote) => format!(
            "GitHub has {}{}; so publishing would call:\n",
            if remote.tag_exists {
                "the tag"
            } else {
                "no tag"
            },
            match &remote.draft {
                Some((draft, assets)) => format!(
                    " and the draft {} with {} assets",
                    draft.html_url,
                    assets.len()
                ),
                None => " and no draft".to_owned(),
            }
        ),
        None => "no token: planned as for a release GitHub does not have yet; publishing \
                 would call:\n"
            .to_owned(),
    });
    let draft = remote.and_then(|remote| remote.draft.as_ref().map(|(draft, _)| draft));
    for call in &plan.calls {
        text.push_str(&format!("  {}\n", call.line(spec, draft)));
    }
    for name in &plan.kept {
        text.push_str(&format!(
            "  ({name} is uploaded already, same digest: kept)\n"
        ));
    }
    text.push_str(&format!(
        "the release, titled {:?}, would say:\n",
        spec.title
    ));
    for line in spec.notes.lines() {
        text.push_str(format!("  | {line}").trim_end());
        text.push('\n');
    }
    Stream::Stdout.write_untrusted(&text);
}

/// After publishing: the release page, and inside GitHub Actions the step outputs `url`
/// and `artifacts` (the files' paths, for actions/attest-build-provenance).
pub fn report(
    published: Result<Published, PublishError>,
    spec: &ReleaseSpec,
    resume: &str,
) -> Result<()> {
    match published {
        Ok(published) => {
            Stream::Stdout.write_untrusted(&format!(
                "published {} with {} assets ({} uploaded, {} there already): {}\n",
                spec.tag,
                spec.assets.len(),
                published.uploaded,
                published.kept,
                published.url
            ));
            if let Some(actions) = Actions::from_env() {
                actions.set_output("url", &published.url)?;
                let paths: Vec<&str> = spec.assets.iter().map(|a| a.path.as_str()).collect();
                actions.set_output("artifacts", &paths.join("\n"))?;
                actions.append_summary(&format!(
                    "Published [{}](<{}>) with {} assets.\n",
                    spec.tag,
                    link_destination(&published.url),
                    spec.assets.len()
                ))?;
            }
            Ok(())
        }
        Err(PublishError::Refused(message)) => {
            Err(anyhow!("{message}\nNothing was changed on GitHub."))
        }
        Err(PublishError::Failed {
            message,
            draft,
            changed,
        }) => {
            let left = match &draft {
                Some(draft) => format!(
                    "The release is still a draft ({draft}), unseen by users. To resume, run:\n  {resume}"
                ),
                None if changed => format!(
                    "GitHub may hold what this run made of {} (the tag, a draft); a rerun finds \
                     it and carries on. To resume, run:\n  {resume}",
                    spec.tag
                ),
                // Only when the client made no call that may have changed something.
                None => "Nothing was changed on GitHub.".to_owned(),
            };
            let error = format!("publishing {} failed: {message}\n{left}", spec.tag);
            if changed {
                Err(check_failed(error))
            } else {
                Err(anyhow!(error))
            }
        }
    }
}

/// `url` as the destination of a Markdown link in angle brackets, where it may hold
/// anything but `<`, `>` and line ends (which escaping took out already).
fn link_destination(url: &str) -> String {
    url.replace('<', "%3C").replace('>', "%3E")
}

/// An upload's bar: sizes and rate in MB (decimal), as the log lines give them.
const UPLOAD_BAR: &str =
    "{msg:26} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} {eta}";

/// Progress: a bar per upload on a terminal (bytes and rate), plain lines in a log.
pub struct Reporter {
    terminal: bool,
}

impl Reporter {
    /// Bars when stderr is a terminal, lines otherwise.
    pub fn new() -> Self {
        Self {
            terminal: !ProgressBar::new(1).is_hidden(),
        }
    }
}

impl Report for Reporter {
    fn line(&self, text: &str) {
        // A line of the publisher may name what GitHub holds (a draft's page, an asset).
        Stream::Stderr.write_untrusted(&format!("{text}\n"));
    }

    fn upload(&self, asset: &LocalAsset) -> Progress {
        if !self.terminal {
            eprintln!(
                "uploading {} ({:.1} MB)",
                asset.name,
                asset.size as f64 / 1e6
            );
            return Arc::new(|_| {});
        }
        let bar = ProgressBar::new(asset.size);
        bar.set_style(
            ProgressStyle::with_template(UPLOAD_BAR)
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(asset.name.clone());
        bar.enable_steady_tick(Duration::from_millis(200));
        Arc::new(move |sent| {
            bar.set_position(sent);
            if sent >= bar.length().unwrap_or(0) {
                bar.finish_and_clear();
            }
        })
    }

    fn uploaded(&self, asset: &LocalAsset, seconds: f64) {
        eprintln!(
            "uploaded {} ({:.1} MB in {seconds:.1} s, {:.1} MB/s)",
            asset.name,
            asset.size as f64 / 1e6,
            asset.size as f64 / 1e6 / seconds.max(1e-3)
        );
    }
}

/// The command that resumes a publication of the files in `dir`: the same project and
/// app, the same artifacts (`targets`, none for all five, and `bin`), at the same commit.
pub fn resume_command(
    app: &App,
    dir: &Utf8Path,
    repo: &RepoName,
    commit: &str,
    targets: &[String],
    bin: &str,
) -> String {
    let mut command = format!(
        "cargo xtask release publish {dir} --repo {repo} --ref {commit} --project {}",
        app.root().dir()
    );
    if app.dir() != app.root().dir() {
        command.push_str(&format!(" --app {}", app.dir()));
    }
    for target in targets {
        command.push_str(&format!(" --target {target}"));
    }
    if bin != DEFAULT_BIN {
        command.push_str(&format!(" --bin {bin}"));
    }
    command
}

/// The commit `reference` names in the git repository at `dir`, and that repository's
/// root.
pub fn resolve(dir: &Utf8Path, reference: &str) -> Result<(String, Utf8PathBuf)> {
    let repo = version_check::Repository::open(dir)?;
    let commit = repo
        .resolve_commit(reference)?
        .ok_or_else(|| anyhow!("{reference} is not a commit of the git repository {}: name a branch, tag or commit with --ref", repo.root()))?;
    Ok((commit, repo.root().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_bars_count_in_the_unit_of_the_log_lines() {
        assert!(UPLOAD_BAR.contains("{decimal_bytes}/{decimal_total_bytes}"));
        assert!(!UPLOAD_BAR.contains("binary") && !UPLOAD_BAR.contains("{bytes}"));
        assert_eq!(indicatif::DecimalBytes(98_400_000).to_string(), "98.40 MB");
        ProgressStyle::with_template(UPLOAD_BAR).expect("the template is valid");
    }
}
