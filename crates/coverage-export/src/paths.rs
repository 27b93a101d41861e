//! From lcov `SF:` paths (absolute paths of the machine that ran the tests) to paths
//! relative to the repository root, the form `git diff` names files in.

use std::str::FromStr;

use camino::Utf8Path;

/// `--path-prefix FROM=TO`: `SF:` paths starting with `FROM` are read as starting with `TO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRemap {
    /// The prefix as the lcov file writes it, e.g. `/home/runner/work/kato/kato`.
    pub from: String,
    /// What it stands for here: an absolute path, or one relative to the repository root.
    pub to: String,
}

impl FromStr for PrefixRemap {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let Some((from, to)) = text.split_once('=') else {
            return Err(format!(
                "{text:?} is not FROM=TO, e.g. /home/runner/work/kato/kato=. (a prefix of the lcov's SF: paths, then what it stands for here)"
            ));
        };
        if from.is_empty() {
            return Err(format!("{text:?}: the FROM part (before =) is empty"));
        }
        Ok(PrefixRemap {
            from: slashes(from).trim_end_matches('/').to_owned(),
            to: slashes(to).trim_end_matches('/').to_owned(),
        })
    }
}

/// Maps `SF:` paths into the repository.
#[derive(Debug, Clone)]
pub struct PathMap {
    roots: Vec<String>,
    remaps: Vec<PrefixRemap>,
}

impl PathMap {
    /// A map into the repository at `root`, applying the first matching remap.
    pub fn new(root: &Utf8Path, remaps: Vec<PrefixRemap>) -> Self {
        let mut roots = vec![normalize(root.as_str())];
        // The lcov may name the real path of a root reached through a symlink, or the other way round.
        if let Ok(canonical) = root.canonicalize_utf8() {
            let canonical = normalize(canonical.as_str());
            if !roots.contains(&canonical) {
                roots.push(canonical);
            }
        }
        PathMap { roots, remaps }
    }

    /// The repository-relative path of `source`, or `None` when it is outside the repository.
    pub fn locate(&self, source: &str) -> Option<String> {
        let mut path = slashes(source);
        for remap in &self.remaps {
            if let Some(rest) = strip_dir_prefix(&path, &remap.from) {
                path = if remap.to.is_empty() || remap.to == "." {
                    rest.trim_start_matches('/').to_owned()
                } else {
                    format!("{}{}", remap.to, rest)
                };
                break;
            }
        }
        if !is_absolute(&path) {
            let relative = normalize(&path);
            return (!relative.starts_with("../") && relative != ".." && relative != ".")
                .then_some(relative);
        }
        let path = normalize(&path);
        self.roots.iter().find_map(|root| {
            strip_dir_prefix(&path, root)
                .map(|rest| rest.trim_start_matches('/').to_owned())
                .filter(|rest| !rest.is_empty())
        })
    }
}

fn is_absolute(path: &str) -> bool {
    path.starts_with('/') || path.as_bytes().get(1..3) == Some(b":/")
}

/// Windows runners write `D:\a\kato\kato\src\x.ts`; compare with forward slashes.
fn slashes(path: &str) -> String {
    if path.as_bytes().get(1..3) == Some(b":\\") || path.starts_with("\\\\") {
        path.replace('\\', "/")
    } else {
        path.to_owned()
    }
}

/// `rest` when `path` is `prefix` or lies under it (whole components only).
fn strip_dir_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/')).then_some(rest)
}

/// Removes `.` and resolves `..` lexically, keeping a leading `/` (or drive).
fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(remaps: &[&str]) -> PathMap {
        PathMap::new(
            Utf8Path::new("/work/kato"),
            remaps.iter().map(|r| r.parse().unwrap()).collect(),
        )
    }

    #[test]
    fn absolute_paths_under_the_root_become_relative() {
        let m = map(&[]);
        assert_eq!(m.locate("/work/kato/src/a.ts").as_deref(), Some("src/a.ts"));
        assert_eq!(
            m.locate("/work/kato/./src/../main.ts").as_deref(),
            Some("main.ts")
        );
        assert_eq!(m.locate("/work/kato-other/a.ts"), None);
        assert_eq!(m.locate("/usr/lib/node/x.js"), None);
        assert_eq!(m.locate("/work/kato"), None);
    }

    #[test]
    fn relative_paths_are_relative_to_the_root() {
        let m = map(&[]);
        assert_eq!(m.locate("src/a.ts").as_deref(), Some("src/a.ts"));
        assert_eq!(m.locate("./src/a.ts").as_deref(), Some("src/a.ts"));
        assert_eq!(m.locate("../elsewhere/a.ts"), None);
    }

    #[test]
    fn prefixes_from_another_machine_are_remapped() {
        let m = map(&[
            "/home/runner/work/kato/kato=/work/kato",
            "D:\\a\\kato\\kato=.",
        ]);
        assert_eq!(
            m.locate("/home/runner/work/kato/kato/src/a.ts").as_deref(),
            Some("src/a.ts")
        );
        assert_eq!(
            m.locate("D:\\a\\kato\\kato\\src\\b.ts").as_deref(),
            Some("src/b.ts")
        );
        assert_eq!(m.locate("/home/runner/work/kato/kato2/a.ts"), None);
    }

    #[test]
    fn a_remap_needs_an_equals_sign() {
        let error = "/home/runner".parse::<PrefixRemap>().unwrap_err();
        assert!(error.contains("is not FROM=TO"), "{error}");
        assert!(
            "=/x"
                .parse::<PrefixRemap>()
                .unwrap_err()
                .contains("FROM part")
        );
    }
}
