//! Which repository a task works on: `--repo`, else `GITHUB_REPOSITORY`, else the
//! `origin` remote of the git repository.

use std::fmt;
use std::str::FromStr;

use camino::Utf8Path;

use crate::token::strip_credentials;

/// A GitHub repository: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoName {
    /// The user or organization that owns it.
    pub owner: String,
    /// The repository's name, without `.git`.
    pub name: String,
}

/// The form `--repo` and `GITHUB_REPOSITORY` take, for messages.
pub const REPO_FORM: &str = "OWNER/NAME, such as octo-org/kato";

/// The remote URL forms understood, for messages.
pub const REMOTE_FORMS: &str = "https://HOST/OWNER/NAME, git@HOST:OWNER/NAME or \
                                ssh://git@HOST/OWNER/NAME, each with or without .git";

/// Where a [`RepoName`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoSource {
    /// The `--repo` option.
    Flag,
    /// The `GITHUB_REPOSITORY` variable.
    Env,
    /// The `origin` remote of the git repository.
    Remote,
}

impl fmt::Display for RepoSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RepoSource::Flag => "--repo",
            RepoSource::Env => "GITHUB_REPOSITORY",
            RepoSource::Remote => "the origin remote",
        })
    }
}

/// Why no repository could be named.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RepoError {
    /// `--repo` or `GITHUB_REPOSITORY` is not `owner/name`.
    #[error("{source_name} is {value:?}, which is not a repository: expected {REPO_FORM}")]
    Malformed {
        /// Where the value came from.
        source_name: String,
        /// The value.
        value: String,
    },
    /// The origin remote's URL does not name a repository.
    #[error(
        "the origin remote is {url}, which does not name a GitHub repository: expected \
         {REMOTE_FORMS} (or pass --repo OWNER/NAME)"
    )]
    BadRemote {
        /// The URL, without any credentials it held.
        url: String,
    },
    /// Nothing names a repository.
    #[error(
        "no repository: pass --repo OWNER/NAME, set GITHUB_REPOSITORY, or run inside a git \
         repository whose origin remote is on GitHub ({detail})"
    )]
    Missing {
        /// Why the git repository did not help.
        detail: String,
    },
}

impl RepoName {
    /// `owner/name`, checked against GitHub's rules for both parts.
    pub fn parse(text: &str) -> Option<Self> {
        let (owner, name) = text.split_once('/')?;
        (valid_owner(owner) && valid_name(name)).then(|| Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The repository a git remote URL points at: `https://host/o/r`, `git@host:o/r`,
    /// `ssh://git@host[:port]/o/r`, `git://host/o/r`, each with or without `.git` and a
    /// trailing slash. Any host is accepted (GitHub Enterprise has its own).
    pub(crate) fn from_remote_url(url: &str) -> Option<Self> {
        let url = url.trim();
        let path = if let Some((scheme, rest)) = url.split_once("://") {
            if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh") {
                return None;
            }
            let (authority, path) = rest.split_once('/')?;
            if authority.is_empty() {
                return None;
            }
            path
        } else {
            // scp-like: [user@]host:path, where the host holds no slash.
            let (host, path) = url.split_once(':')?;
            if host.is_empty() || host.contains('/') {
                return None;
            }
            path
        };
        let path = path.trim_start_matches('/').trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        Self::parse(path)
    }

    /// The API path of this repository: `/repos/owner/name`.
    pub fn api_path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl FromStr for RepoName {
    type Err = RepoError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or_else(|| RepoError::Malformed {
            source_name: "--repo".to_owned(),
            value: text.to_owned(),
        })
    }
}

/// A user or organization login: letters, digits and single hyphens, not at either
/// end, at most 39 characters.
pub fn valid_owner(owner: &str) -> bool {
    (1..=39).contains(&owner.len())
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !owner.starts_with('-')
        && !owner.ends_with('-')
        && !owner.contains("--")
}

/// A repository name: letters, digits, `.`, `-` and `_`, at most 100 characters, and
/// neither `.` nor `..`.
pub fn valid_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && name != "."
        && name != ".."
}

/// The repository to work on: `flag` (`--repo`), else `github_repository` (the value
/// of `GITHUB_REPOSITORY`; empty counts as unset), else the URL `origin_url` returns
/// (`Ok(None)` when there is no origin remote; `Err` says why git could not tell).
pub fn resolve_repo(
    flag: Option<&str>,
    github_repository: Option<&str>,
    origin_url: impl FnOnce() -> Result<Option<String>, String>,
) -> Result<(RepoName, RepoSource), RepoError> {
    if let Some(value) = flag {
        return RepoName::parse(value)
            .map(|repo| (repo, RepoSource::Flag))
            .ok_or_else(|| RepoError::Malformed {
                source_name: "--repo".to_owned(),
                value: value.to_owned(),
            });
    }
    if let Some(value) = github_repository.filter(|value| !value.is_empty()) {
        return RepoName::parse(value)
            .map(|repo| (repo, RepoSource::Env))
            .ok_or_else(|| RepoError::Malformed {
                source_name: "GITHUB_REPOSITORY".to_owned(),
                value: value.to_owned(),
            });
    }
    match origin_url() {
        Ok(Some(url)) => RepoName::from_remote_url(&url)
            .map(|repo| (repo, RepoSource::Remote))
            .ok_or_else(|| RepoError::BadRemote {
                url: strip_credentials(&url),
            }),
        Ok(None) => Err(RepoError::Missing {
            detail: "the git repository has no origin remote".to_owned(),
        }),
        Err(detail) => Err(RepoError::Missing { detail }),
    }
}

/// The URL of the `origin` remote of the git repository holding `dir`: `Ok(None)` when
/// the repository has no such remote, `Err` when `dir` is in no git repository or git
/// cannot run.
pub fn origin_url(dir: &Utf8Path) -> Result<Option<String>, String> {
    let sh = xshell::Shell::new().map_err(|error| error.to_string())?;
    sh.change_dir(dir);
    let inside = xshell::cmd!(sh, "git rev-parse --is-inside-work-tree")
        .quiet()
        .ignore_stderr()
        .read();
    if inside.is_err() {
        return Err(format!("{dir} is not in a git repository"));
    }
    // Exit status 2 means no such remote; anything else that fails is an error.
    let output = xshell::cmd!(sh, "git remote get-url origin")
        .quiet()
        .ignore_status()
        .ignore_stderr()
        .output()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if !output.status.success() {
        return Ok(None);
    }
    let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Ok((!url.is_empty()).then_some(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(owner: &str, name: &str) -> RepoName {
        RepoName {
            owner: owner.to_owned(),
            name: name.to_owned(),
        }
    }

    #[test]
    fn owner_slash_name() {
        assert_eq!(
            RepoName::parse("octo-org/kato"),
            Some(repo("octo-org", "kato"))
        );
        assert_eq!(RepoName::parse("o/r.js_x-1"), Some(repo("o", "r.js_x-1")));
        for bad in [
            "kato",
            "o/r/x",
            "/r",
            "o/",
            "-o/r",
            "o-/r",
            "o--p/r",
            "o/..",
            "o/.",
            "o r/x",
            "o/r x",
            "https://github.com/o/r",
        ] {
            assert_eq!(RepoName::parse(bad), None, "{bad}");
        }
        assert_eq!(repo("o", "r").to_string(), "o/r");
        assert_eq!(repo("o", "r").api_path(), "/repos/o/r");
    }

    #[test]
    fn remote_urls() {
        let kato = Some(repo("octo-org", "kato"));
        for url in [
            "https://github.com/octo-org/kato",
            "https://github.com/octo-org/kato.git",
            "https://github.com/octo-org/kato/",
            "http://github.com/octo-org/kato.git",
            "https://x-access-token:secret@github.com/octo-org/kato.git",
            "git@github.com:octo-org/kato.git",
            "git@github.com:octo-org/kato",
            "github.com:octo-org/kato.git",
            "ssh://git@github.com/octo-org/kato.git",
            "ssh://git@github.com:22/octo-org/kato",
            "git://github.com/octo-org/kato.git",
            "https://github.example.com/octo-org/kato.git",
            " git@github.com:octo-org/kato.git\n",
        ] {
            assert_eq!(RepoName::from_remote_url(url), kato, "{url}");
        }
        for url in [
            "/home/me/kato",
            "../kato.git",
            "file:///srv/git/octo-org/kato.git",
            "https://github.com/octo-org",
            "https://github.com/octo-org/kato/tree/main",
            "git@github.com:kato.git",
            "https:///octo-org/kato",
            "",
        ] {
            assert_eq!(RepoName::from_remote_url(url), None, "{url}");
        }
    }

    #[test]
    fn flag_then_environment_then_remote() {
        let remote = || Ok(Some("git@github.com:from/remote.git".to_owned()));
        assert_eq!(
            resolve_repo(Some("from/flag"), Some("from/env"), remote),
            Ok((repo("from", "flag"), RepoSource::Flag))
        );
        assert_eq!(
            resolve_repo(None, Some("from/env"), remote),
            Ok((repo("from", "env"), RepoSource::Env))
        );
        assert_eq!(
            resolve_repo(None, Some(""), remote),
            Ok((repo("from", "remote"), RepoSource::Remote))
        );
        // A flag or a variable is enough: git is not asked.
        let not_read = || -> Result<Option<String>, String> { panic!("the remote was read") };
        assert!(resolve_repo(None, Some("from/env"), not_read).is_ok());
    }

    #[test]
    fn bad_values_are_named_with_the_accepted_form() {
        let error = resolve_repo(Some("kato"), None, || Ok(None)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--repo is \"kato\", which is not a repository: expected OWNER/NAME, such as \
             octo-org/kato"
        );
        let error = resolve_repo(None, Some("a/b/c"), || Ok(None)).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("GITHUB_REPOSITORY is \"a/b/c\"")
        );
        let error = resolve_repo(None, None, || {
            Ok(Some("https://user:hunter2@example.com/just-one".to_owned()))
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the origin remote is https://***@example.com/just-one, which does not name \
                 a GitHub repository: expected {REMOTE_FORMS} (or pass --repo OWNER/NAME)"
            )
        );
        let error = resolve_repo(None, None, || Ok(None)).unwrap_err();
        assert!(
            error.to_string().contains("has no origin remote"),
            "{error}"
        );
    }

    #[test]
    fn origin_of_a_git_repository() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        assert!(
            origin_url(dir)
                .unwrap_err()
                .contains("not in a git repository")
        );
        let sh = xshell::Shell::new().unwrap();
        sh.change_dir(dir);
        xshell::cmd!(sh, "git init --quiet").run().unwrap();
        assert_eq!(origin_url(dir), Ok(None));
        xshell::cmd!(sh, "git remote add origin git@github.com:o/r.git")
            .run()
            .unwrap();
        assert_eq!(
            origin_url(dir),
            Ok(Some("git@github.com:o/r.git".to_owned()))
        );
    }
}
