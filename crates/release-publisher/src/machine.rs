//! The build machine's own directories: a path under one of them, baked into a binary,
//! means nothing (or something else) on every other machine.

use camino::{Utf8Path, Utf8PathBuf};

/// Directories of the machine that builds the release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildMachine {
    /// The workspace: the repository, the project, `$GITHUB_WORKSPACE`; in every
    /// spelling that resolves to it (symlinks resolved and not).
    pub workspaces: Vec<Utf8PathBuf>,
    /// The build user's home directory, likewise.
    pub homes: Vec<Utf8PathBuf>,
}

/// Parents of home directories on Linux, macOS and Windows, and root's home: a path
/// there is some user's home, which differs from machine to machine.
const HOME_PARENTS: [&str; 3] = ["/home", "/Users", "C:/Users"];
const ROOT_HOME: &str = "/root";

impl BuildMachine {
    /// The machine of these workspace and home directories, each in every spelling that
    /// names it (as given, and with symlinks resolved).
    pub fn new(workspaces: Vec<Utf8PathBuf>, homes: Vec<Utf8PathBuf>) -> Self {
        Self {
            workspaces: spellings(workspaces),
            homes: spellings(homes),
        }
    }

    /// Why `path` (absolute) belongs to this machine rather than to the machines the
    /// binary runs on, or `None` when it does not.
    pub fn claims(&self, path: &str) -> Option<String> {
        let path = path.replace('\\', "/");
        if let Some(dir) = self.workspaces.iter().find(|dir| is_within(dir, &path)) {
            return Some(format!("it is in the build workspace {dir}"));
        }
        if let Some(dir) = self.homes.iter().find(|dir| is_within(dir, &path)) {
            return Some(format!("it is in the build user's home {dir}"));
        }
        // macOS and Windows file systems ignore case: C:\users\me is C:\Users\me.
        let folded = path.to_ascii_lowercase();
        HOME_PARENTS
            .iter()
            .find(|parent| {
                let parent = parent.to_ascii_lowercase();
                is_within(Utf8Path::new(&parent), &folded) && folded.len() > parent.len()
            })
            .or(is_within(Utf8Path::new(ROOT_HOME), &path).then_some(&ROOT_HOME))
            .map(|root| {
                format!(
                    "it is in a user's home directory (under {root}), which differs on every \
                     machine"
                )
            })
    }
}

fn spellings(paths: Vec<Utf8PathBuf>) -> Vec<Utf8PathBuf> {
    let mut all = Vec::new();
    for path in paths {
        let resolved = path
            .canonicalize_utf8()
            .ok()
            .filter(|resolved| resolved != &path);
        for spelling in std::iter::once(path).chain(resolved) {
            if !all.contains(&spelling) {
                all.push(spelling);
            }
        }
    }
    all
}

/// Whether `path` is `dir` or below it (`/home/me` is not below `/home/m`).
fn is_within(dir: &Utf8Path, path: &str) -> bool {
    let dir = dir.as_str().replace('\\', "/");
    let dir = dir.trim_end_matches('/');
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_and_homes_are_the_machines_own() {
        let machine = BuildMachine {
            workspaces: vec!["/work/kato".into()],
            homes: vec!["/var/home/me".into()],
        };
        assert_eq!(
            machine.claims("/work/kato/data").unwrap(),
            "it is in the build workspace /work/kato"
        );
        assert!(machine.claims("/work/kato").is_some());
        assert_eq!(machine.claims("/work/katoo"), None);
        assert_eq!(
            machine.claims("/var/home/me/.kato").unwrap(),
            "it is in the build user's home /var/home/me"
        );
        assert!(
            machine
                .claims("/home/runner/work/kato/data")
                .unwrap()
                .contains("under /home")
        );
        for other_case in ["c:\\users\\me\\kato", "C:/USERS/me", "/users/me/.kato"] {
            assert!(machine.claims(other_case).is_some(), "{other_case}");
        }
        assert_eq!(
            machine.claims("/Users"),
            None,
            "the parent itself is no one's home"
        );
        assert!(machine.claims("C:\\Users\\me\\kato").is_some());
        assert_eq!(machine.claims("/home"), None);
        assert!(machine.claims("/root").is_some());
        assert_eq!(machine.claims("/var/lib/kato"), None);
        assert_eq!(machine.claims("/etc/kato"), None);
    }
}
