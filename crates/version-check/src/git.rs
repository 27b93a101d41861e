//! The facts a release needs from git, read by running git in the repository.

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

/// A git repository (its work tree), queried with the `git` on PATH.
#[derive(Debug, Clone)]
pub struct Repository {
    root: Utf8PathBuf,
}

/// The head of the main branch that releases come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainHead {
    /// How it was found: `origin/main` or `main`.
    pub name: String,
    /// Its commit.
    pub commit: String,
}

impl Repository {
    /// The repository whose work tree holds `dir`.
    pub fn open(dir: &Utf8Path) -> Result<Self> {
        let sh = shell(dir)?;
        let output = cmd!(sh, "git rev-parse --show-toplevel")
            .quiet()
            .ignore_status()
            .output()
            .context("cannot run git: install it and put it on PATH")?;
        if !output.status.success() {
            bail!(
                "{dir} is not in a git work tree ({}): a release is made from a commit, so the \
                 project must be in a git checkout",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let root = String::from_utf8(output.stdout).context("git printed a non-UTF-8 path")?;
        Ok(Self {
            root: Utf8PathBuf::from(root.trim_end_matches(['\n', '\r'])),
        })
    }

    /// The top of the work tree.
    pub fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// `git status --porcelain` lines: changed, staged and untracked (not ignored) paths.
    pub(crate) fn changed_paths(&self) -> Result<Vec<String>> {
        let sh = shell(&self.root)?;
        let text = cmd!(sh, "git status --porcelain=v1 --untracked-files=normal")
            .quiet()
            .read()
            .with_context(|| format!("cannot run git status in {}", self.root))?;
        Ok(text.lines().map(str::to_owned).collect())
    }

    /// The commit `rev` names, or `None` when it names none.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<String>> {
        let sh = shell(&self.root)?;
        let spec = format!("{rev}^{{commit}}");
        let output = cmd!(sh, "git rev-parse --verify --quiet --end-of-options {spec}")
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("cannot run git rev-parse in {}", self.root))?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned()))
    }

    /// The main branch's head: `origin/<branch>` where it exists, else `<branch>`.
    pub(crate) fn main_head(&self, branch: &str) -> Result<Option<MainHead>> {
        for (name, full) in [
            (
                format!("origin/{branch}"),
                format!("refs/remotes/origin/{branch}"),
            ),
            (branch.to_owned(), format!("refs/heads/{branch}")),
        ] {
            if let Some(commit) = self.resolve_commit(&full)? {
                return Ok(Some(MainHead { name, commit }));
            }
        }
        Ok(None)
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub(crate) fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool> {
        let sh = shell(&self.root)?;
        let output = cmd!(sh, "git merge-base --is-ancestor {ancestor} {descendant}")
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("cannot run git merge-base in {}", self.root))?;
        match output.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => bail!(
                "`git merge-base --is-ancestor {ancestor} {descendant}` failed in {}: {}",
                self.root,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        }
    }

    /// The commit the tag points at (through an annotated tag), if the tag exists.
    pub fn tag_commit(&self, tag: &str) -> Result<Option<String>> {
        self.resolve_commit(&format!("refs/tags/{tag}"))
    }
}

/// A commit named in a message: its first 12 characters, all of it when shorter. A
/// commit that came from elsewhere (GitHub's answers) may be any text: it is cut between
/// characters, never inside one.
pub fn short_commit(commit: &str) -> &str {
    commit
        .char_indices()
        .nth(12)
        .map_or(commit, |(end, _)| &commit[..end])
}

fn shell(dir: &Utf8Path) -> Result<Shell> {
    let sh = Shell::new()?;
    sh.change_dir(dir);
    Ok(sh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_shortened_to_12_characters() {
        assert_eq!(
            short_commit("0123456789abcdef0123456789abcdef01234567"),
            "0123456789ab"
        );
        assert_eq!(short_commit("0123456789ab"), "0123456789ab");
        assert_eq!(short_commit("abc"), "abc");
        assert_eq!(short_commit(""), "");
        assert_eq!(short_commit("ééééééééééééé"), "éééééééééééé");
    }
}
