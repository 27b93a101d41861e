//! Running git: the repository, the base ref, and the diff stages of a range.

use std::io::{BufReader, Read};
use std::process::{Command, Stdio};

use camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

use crate::diff::{ChangedLines, DiffError, DiffStage, parse_diff};
use crate::parts::{
    Staged, modified_parts, modified_paths, nothing_staged, renamed_part, staged_paths, whole_range,
};

/// Which uncommitted changes count besides the committed range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// Changes staged in the index (`git diff --cached`).
    pub staged: bool,
    /// Changes in the working tree (`git diff`).
    pub unstaged: bool,
}

impl Default for Scope {
    /// diff-cover's default: committed, staged and unstaged changes.
    fn default() -> Self {
        Scope {
            staged: true,
            unstaged: true,
        }
    }
}

/// A git problem, said so that the reader knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The directory is not inside a git work tree.
    #[error(
        "{dir} is not in a git repository (git says: {message}); run coverage inside a clone, or name one with --repo"
    )]
    NotARepository {
        /// The directory asked about.
        dir: Utf8PathBuf,
        /// git's own message.
        message: String,
    },
    /// HEAD does not name a commit yet.
    #[error("the repository at {root} has no commits yet: commit the change first")]
    NoCommits {
        /// The repository root.
        root: Utf8PathBuf,
    },
    /// The base ref does not resolve to a commit.
    #[error("{}", unknown_base(base, *shallow))]
    UnknownBase {
        /// The base as given.
        base: String,
        /// Whether the clone is shallow.
        shallow: bool,
    },
    /// The base and HEAD share no history.
    #[error("{}", no_merge_base(base, *shallow))]
    NoMergeBase {
        /// The base as given.
        base: String,
        /// Whether the clone is shallow.
        shallow: bool,
    },
    /// A git command failed or could not be run.
    #[error("`{command}` failed: {message}")]
    Command {
        /// The command line.
        command: String,
        /// What went wrong.
        message: String,
    },
    /// The diff could not be read.
    #[error("`{command}`: {source}")]
    Diff {
        /// The command line.
        command: String,
        /// The parse error.
        source: DiffError,
    },
}

fn unknown_base(base: &str, shallow: bool) -> String {
    let fetch = match base.split_once('/') {
        Some((remote, branch)) if !remote.is_empty() => {
            format!("git fetch {remote} {branch}")
        }
        _ => format!("git fetch origin {base}"),
    };
    if shallow {
        format!(
            "the base ref {base:?} is not in this shallow clone: fetch it ({fetch}), or check out with full history (actions/checkout with fetch-depth: 0)"
        )
    } else {
        format!(
            "the base ref {base:?} does not exist: name an existing branch, tag or commit with --base, or fetch it first ({fetch})"
        )
    }
}

fn no_merge_base(base: &str, shallow: bool) -> String {
    if shallow {
        format!(
            "HEAD and {base:?} have no common commit in this shallow clone: fetch more history (git fetch --unshallow), or check out with fetch-depth: 0"
        )
    } else {
        format!(
            "HEAD and {base:?} have no common commit (unrelated histories): patch coverage needs a base that HEAD branched from"
        )
    }
}

/// A checked `base...HEAD` range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The base as given.
    pub base: String,
    /// The commit where HEAD branched from the base.
    pub merge_base: String,
}

impl Range {
    /// diff-cover's name for the range and scope: `origin/main...HEAD, staged and unstaged changes`.
    pub fn describe(&self, scope: Scope) -> String {
        let range = format!("{}...HEAD", self.base);
        match (scope.staged, scope.unstaged) {
            (true, true) => format!("{range}, staged and unstaged changes"),
            (true, false) => format!("{range} and staged changes"),
            (false, true) => format!("{range} and unstaged changes"),
            (false, false) => range,
        }
    }
}

/// A git work tree.
#[derive(Debug, Clone)]
pub struct Repository {
    root: Utf8PathBuf,
}

impl Repository {
    /// The repository holding `dir`.
    pub fn discover(dir: &Utf8Path) -> Result<Self, GitError> {
        let sh = shell(dir)?;
        let output = cmd!(sh, "git rev-parse --show-toplevel")
            .quiet()
            .ignore_status()
            .output()
            .map_err(|e| command_error("git rev-parse --show-toplevel", e))?;
        if !output.status.success() {
            return Err(GitError::NotARepository {
                dir: dir.to_owned(),
                message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        let root = String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_owned();
        Ok(Repository { root: root.into() })
    }

    /// The top of the work tree.
    pub fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// Whether `name` resolves to a commit.
    pub fn has_commit(&self, name: &str) -> Result<bool, GitError> {
        let sh = shell(&self.root)?;
        let spec = format!("{name}^{{commit}}");
        let output = cmd!(sh, "git rev-parse --verify --quiet {spec}")
            .quiet()
            .ignore_status()
            .output()
            .map_err(|e| command_error("git rev-parse --verify", e))?;
        Ok(output.status.success())
    }

    /// The base to compare with when none is named: `origin/main` where it exists, else `main`.
    pub fn default_base(&self) -> Result<String, GitError> {
        Ok(if self.has_commit("origin/main")? {
            "origin/main".to_owned()
        } else {
            "main".to_owned()
        })
    }

    fn is_shallow(&self) -> Result<bool, GitError> {
        let sh = shell(&self.root)?;
        let output = cmd!(sh, "git rev-parse --is-shallow-repository")
            .quiet()
            .read()
            .map_err(|e| command_error("git rev-parse --is-shallow-repository", e))?;
        Ok(output.trim() == "true")
    }

    /// The range `base...HEAD`, checked: HEAD and the base exist and share history.
    pub fn range(&self, base: &str) -> Result<Range, GitError> {
        let sh = shell(&self.root)?;
        let output = cmd!(sh, "git merge-base {base} HEAD")
            .quiet()
            .ignore_status()
            .output()
            .map_err(|e| command_error("git merge-base", e))?;
        if output.status.success() {
            return Ok(Range {
                base: base.to_owned(),
                merge_base: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            });
        }
        // Which of the three it is, asked only when it failed.
        if !self.has_commit("HEAD")? {
            return Err(GitError::NoCommits {
                root: self.root.clone(),
            });
        }
        let shallow = self.is_shallow()?;
        if !self.has_commit(base)? {
            return Err(GitError::UnknownBase {
                base: base.to_owned(),
                shallow,
            });
        }
        Err(GitError::NoMergeBase {
            base: base.to_owned(),
            shallow,
        })
    }

    /// The changed lines of `range`, plus the staged and unstaged changes that `scope`
    /// includes. Each stage's `git diff` streams through the parser; they run side by
    /// side, the committed one split in parts: its added, deleted and renamed files in
    /// one, the others in one per core.
    ///
    /// First, as `git status` does, the index's record of each file's size and times is
    /// brought up to date (`git update-index --refresh`), unless `GIT_OPTIONAL_LOCKS=0`
    /// asks git commands not to write the index unasked.
    pub fn changed_lines(&self, range: &Range, scope: Scope) -> Result<ChangedLines, GitError> {
        let refresh = optional_locks(std::env::var("GIT_OPTIONAL_LOCKS").ok().as_deref());
        self.changed_lines_on(range, scope, crate::workers(), refresh)
    }

    fn changed_lines_on(
        &self,
        range: &Range,
        scope: Scope,
        cores: usize,
        refresh: bool,
    ) -> Result<ChangedLines, GitError> {
        let merge_base = range.merge_base.as_str();
        // What the plan needs, asked of git at once: the staged paths, the range's paths
        // (to split it), and the index refreshed (before the diffs that read most of the
        // work tree: the modified files' and the unstaged changes').
        let refreshing = if refresh { self.start_refresh() } else { None };
        let staged = self.start_listing(&["--cached"])?;
        let listed = match cores {
            ..=1 => None,
            _ => Some(self.start_listing(&[merge_base, "HEAD"])?),
        };
        let staged_raw = staged.finish()?;
        let staged: Staged = staged_paths(staged_raw.as_deref());
        let refreshed = || {
            if let Some(mut refreshing) = refreshing {
                // Its outcome changes only how fast the diffs are.
                let _ = refreshing.wait();
            }
        };
        // The other stages' jobs, usually small: last, to even out the cores' ends. With
        // nothing staged the staged stage has nothing to show.
        let mut stages: Vec<(usize, Vec<String>)> = Vec::new();
        if scope.staged && !nothing_staged(&staged) {
            stages.push((1, vec!["--find-renames".to_owned(), "--cached".to_owned()]));
        }
        if scope.unstaged {
            stages.push((2, vec!["--find-renames".to_owned()]));
        }
        let results = match listed {
            None => {
                let mut jobs = vec![(0, whole_range(merge_base))];
                jobs.extend(stages);
                refreshed();
                crate::on_threads(&jobs, 1, |(stage, args)| (*stage, self.diff_stage(args)))
            }
            Some(listed) => std::thread::scope(|threads| -> Result<_, GitError> {
                // The costliest part starts first, while the range's paths are read and
                // the index refreshed: it reads few files of the work tree (the added
                // ones), and the refresh only lets it read more of them.
                let renamed = renamed_part(merge_base, &staged);
                let renamed = threads.spawn(move || self.diff_stage(&renamed));
                refreshed();
                let listed = listed.finish()?;
                let modified = modified_paths(listed.as_deref());
                let mut jobs: Vec<(usize, Vec<String>)> =
                    modified_parts(merge_base, &staged, modified, cores)
                        .into_iter()
                        .map(|part| (0, part))
                        .collect();
                jobs.extend(stages);
                // One git more than cores while the renamed part runs: all of them end
                // at about the same time.
                let mut results = crate::on_threads(&jobs, cores, |(stage, args)| {
                    (*stage, self.diff_stage(args))
                });
                results.push((0, renamed.join().expect("a diff thread panicked")));
                Ok(results)
            })?,
        };
        let mut combined = vec![DiffStage::default(); 3];
        for (stage, result) in results {
            // The parts of one stage name disjoint files.
            combined[stage].files.extend(result?.files);
        }
        Ok(ChangedLines::combine(combined))
    }

    /// Starts `git update-index --refresh`, which records each tracked file's current
    /// size and times in the index where its content is unchanged. A file written within
    /// the same second as the index (a fresh clone or checkout holds thousands) is
    /// "racily clean": git cannot trust its recorded times, so every `git diff` against
    /// the work tree hashes it again, and none is read from the work tree in place of its
    /// blob (see [`crate::parts`]); a refresh a second later settles them. The diffs'
    /// output is the same either way. `None` when git cannot be started; a refresh that
    /// fails (another git holds the index, the repository is read-only) leaves the index
    /// as it was.
    fn start_refresh(&self) -> Option<std::process::Child> {
        Command::new("git")
            .args(["update-index", "-q", "--refresh", "--ignore-submodules"])
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
    }

    /// Starts `git diff --raw -z --no-renames` of `sides`: the paths that differ, with
    /// their status (and their blobs, named in full: see [`Repository::diff_stage`]).
    fn start_listing(&self, sides: &[&str]) -> Result<Listing, GitError> {
        let sh = shell(&self.root)?;
        let cmd = cmd!(
            sh,
            "git diff --raw -z --no-abbrev --no-renames --no-relative --no-ext-diff {sides...}"
        )
        .quiet();
        let display = cmd.to_string();
        let child = Command::from(cmd)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| command_error(&display, e))?;
        Ok(Listing { display, child })
    }

    /// Runs `git diff -U0` with `args`, its output parsed as it streams.
    fn diff_stage(&self, args: &[String]) -> Result<DiffStage, GitError> {
        let sh = shell(&self.root)?;
        // Settings that would change the output's shape are pinned; quotePath=false keeps
        // non-ASCII names readable (quoting stays for quotes and control characters).
        // --full-index: blob names are not shortened, which in a repository of loose
        // objects has git read an object directory for every name it shortens.
        let cmd = cmd!(
            sh,
            "git -c core.quotePath=false -c diff.mnemonicPrefix=false -c diff.noPrefix=false
                diff --no-color --no-ext-diff --no-relative --full-index -U0 {args...}"
        )
        // Paths after `--` are file names, never patterns.
        .env("GIT_LITERAL_PATHSPECS", "1")
        .quiet();
        let display = cmd.to_string();
        let mut command: Command = cmd.into();
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| command_error(&display, e))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let parsed = parse_diff(BufReader::with_capacity(1 << 18, stdout));
        if parsed.is_err() {
            let _ = child.kill();
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        let status = child.wait().map_err(|e| command_error(&display, e))?;
        let stage = parsed.map_err(|source| GitError::Diff {
            command: display.clone(),
            source,
        })?;
        if !status.success() {
            return Err(GitError::Command {
                command: display,
                message: stderr.trim().to_owned(),
            });
        }
        Ok(stage)
    }
}

/// Whether `GIT_OPTIONAL_LOCKS` (its value, if set) lets a command write the index when
/// not asked to, read as git reads a boolean; unset means yes.
fn optional_locks(value: Option<&str>) -> bool {
    !value.is_some_and(|value| {
        let value = value.trim().to_ascii_lowercase();
        matches!(value.as_str(), "0" | "false" | "no" | "off" | "")
    })
}

/// A `git diff --raw` under way.
struct Listing {
    display: String,
    child: std::process::Child,
}

impl Listing {
    /// Its output; `None` when git failed (the plan then does without it).
    fn finish(self) -> Result<Option<Vec<u8>>, GitError> {
        let output = self
            .child
            .wait_with_output()
            .map_err(|e| command_error(&self.display, e))?;
        Ok(output.status.success().then_some(output.stdout))
    }
}

fn shell(dir: &Utf8Path) -> Result<Shell, GitError> {
    let sh = Shell::new().map_err(|e| command_error("git", e))?;
    sh.change_dir(dir);
    Ok(sh)
}

fn command_error(command: &str, error: impl std::fmt::Display) -> GitError {
    GitError::Command {
        command: command.to_owned(),
        message: format!("{error} (is git installed and on PATH?)"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fs;
    use std::io::Write;

    use super::*;
    use crate::parts::covers;

    /// The benchmark's generator: renamed (some edited), added, deleted and modified
    /// files, in `repo`, and its report `coverage.lcov` beside the repository.
    pub(crate) fn generated(files: u32) -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap().join("p");
        let script =
            Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/make_patch_repo.py");
        let status = Command::new("python3")
            .arg(script.as_str())
            .arg(root.as_str())
            .arg(format!("--files={files}"))
            .stdout(Stdio::null())
            .status()
            .expect("python3 is needed to generate the test repository");
        assert!(status.success(), "{script} failed");
        let repo = Repository::discover(&root.join("repo")).unwrap();
        (dir, repo)
    }

    /// The committed range's parts as the diff plans them: the renamed part, then the
    /// modified ones.
    fn parts(repo: &Repository, range: &Range, cores: usize) -> Vec<Vec<String>> {
        let merge_base = range.merge_base.as_str();
        let staged = repo.start_listing(&["--cached"]).unwrap().finish().unwrap();
        let listed = repo.start_listing(&[merge_base, "HEAD"]).unwrap();
        let listed = listed.finish().unwrap();
        let staged = staged_paths(staged.as_deref());
        let mut parts = vec![renamed_part(merge_base, &staged)];
        let modified = modified_paths(listed.as_deref());
        parts.extend(modified_parts(merge_base, &staged, modified, cores));
        parts
    }

    /// The pathspecs of a part.
    fn pathspecs(part: &[String]) -> &[String] {
        part.iter()
            .position(|a| a == "--")
            .map_or(&[], |at| &part[at + 1..])
    }

    #[test]
    fn a_large_range_diffed_in_parts_has_the_whole_diffs_lines() {
        let (_dir, repo) = generated(800);
        let range = repo.range("base").unwrap();
        let scope = Scope::default();
        assert_eq!(parts(&repo, &range, 1).len(), 2);
        for cores in [2, 3, 4] {
            let parts = parts(&repo, &range, cores);
            // The added, deleted and renamed files, then the modified ones in as many
            // parts as cores, each named by fewer pathspecs than it has files.
            assert_eq!(parts.len(), 1 + cores, "{cores} cores");
            assert!(pathspecs(&parts[0]).is_empty(), "{:?}", parts[0]);
            let named = parts[1..].iter().map(|part| pathspecs(part).len());
            assert!(named.clone().all(|n| n > 0), "{parts:?}");
            assert!(named.sum::<usize>() < 300, "{parts:?}");
        }
        let whole = repo.changed_lines_on(&range, scope, 1, true).unwrap();
        assert!(whole.files.len() > 256 && whole.line_count() > 10_000);
        for cores in [2, 3] {
            assert_eq!(
                repo.changed_lines_on(&range, scope, cores, true).unwrap(),
                whole
            );
        }
    }

    /// The parts none of whose paths is staged are diffed against the index, and give the
    /// range's lines all the same: with a file of one part staged, one of another changed
    /// in the working tree only, and one deleted from the working tree.
    #[test]
    fn parts_diffed_against_the_index_have_the_ranges_lines() {
        let (_dir, repo) = generated(800);
        let range = repo.range("base").unwrap();
        let cached = |part: &[String]| part.iter().any(|a| a == "--cached");
        let before = parts(&repo, &range, 2);
        assert!(before.iter().all(|part| cached(part)), "{before:?}");
        let listed = repo.start_listing(&[&range.merge_base, "HEAD"]).unwrap();
        let listed = listed.finish().unwrap();
        let mut modified = modified_paths(listed.as_deref()).unwrap();
        modified.sort_unstable();
        let (staged, edited, removed) = (
            modified[0].to_owned(),
            modified[modified.len() / 2].to_owned(),
            modified[modified.len() - 1].to_owned(),
        );
        let root = repo.root().to_owned();
        let append = |path: &str, text: &str| {
            let mut file = fs::OpenOptions::new()
                .append(true)
                .open(root.join(path))
                .unwrap();
            file.write_all(text.as_bytes()).unwrap();
        };
        append(&staged, "export const staged = 1;\n");
        git(&root, &["add", &staged]);
        append(&edited, "export const edited = 1;\n");
        fs::remove_file(root.join(&removed)).unwrap();

        let after = parts(&repo, &range, 2);
        assert!(!cached(&after[0]), "something is staged: {:?}", after[0]);
        for part in &after[1..] {
            let names_staged = pathspecs(part).iter().any(|spec| covers(spec, &staged));
            assert_eq!(cached(part), !names_staged, "{part:?}");
        }
        assert_eq!(after[1..].iter().filter(|part| cached(part)).count(), 1);
        let committed = Scope {
            staged: false,
            unstaged: false,
        };
        for scope in [committed, Scope::default()] {
            let whole = repo.changed_lines_on(&range, scope, 1, true).unwrap();
            for cores in [2, 3] {
                assert_eq!(
                    repo.changed_lines_on(&range, scope, cores, true).unwrap(),
                    whole,
                    "{scope:?}, {cores} cores"
                );
            }
        }
    }

    /// Leaving deleted files' old lines out of the committed diff changes nothing: the
    /// same files, deleted ones included, with the same lines.
    #[test]
    fn the_committed_diff_without_deleted_lines_has_the_same_changed_lines() {
        let (_dir, repo) = generated(300);
        let range = repo.range("base").unwrap();
        let stage = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            ChangedLines::combine([repo.diff_stage(&args).unwrap()])
        };
        let mb = range.merge_base.as_str();
        let full = stage(&["--find-renames", mb, "HEAD"]);
        let short = stage(&["--find-renames", "--irreversible-delete", mb, "HEAD"]);
        let deleted = full.files.values().filter(|lines| lines.is_empty()).count();
        assert!(
            deleted > 5 && full.line_count() > 1_000,
            "deleted files in the range"
        );
        assert_eq!(short, full);
        assert_eq!(
            repo.changed_lines_on(&range, Scope::default(), 1, true)
                .unwrap(),
            full
        );
    }

    /// Runs git in `dir`, which it must succeed at.
    fn git(dir: &Utf8Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("git is needed for these tests");
        assert!(status.success(), "git {args:?} failed in {dir}");
    }

    /// A range is asked of git once; when that fails, the error says which of the three
    /// causes it is.
    #[test]
    fn a_range_that_cannot_be_made_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        git(root, &["init", "-q", "-b", "main"]);
        let repo = Repository::discover(root).unwrap();
        assert!(matches!(
            repo.range("main"),
            Err(GitError::NoCommits { .. })
        ));
        std::fs::write(root.join("a.ts"), "export const a = 1;\n").unwrap();
        git(root, &["add", "a.ts"]);
        git(root, &["commit", "-q", "-m", "a"]);
        git(root, &["checkout", "-q", "--orphan", "other"]);
        git(root, &["commit", "-q", "-m", "b"]);
        assert!(matches!(
            repo.range("nope"),
            Err(GitError::UnknownBase { shallow: false, .. })
        ));
        assert!(matches!(
            repo.range("main"),
            Err(GitError::NoMergeBase { shallow: false, .. })
        ));
        git(root, &["checkout", "-q", "main"]);
        let range = repo.range("main").unwrap();
        assert_eq!(range.merge_base.len(), 40);
        assert_eq!(range.base, "main");
    }

    /// The index is refreshed before the diffs, unless optional locks are off, and the
    /// changed lines are the same either way. (Committed changes only: a `git diff` of the
    /// work tree refreshes the index itself where a file's times changed.)
    #[test]
    fn the_index_is_refreshed_unless_optional_locks_are_off() {
        let (_dir, repo) = generated(300);
        let range = repo.range("base").unwrap();
        let index = repo.root().join(".git/index");
        // Rewritten with the same content: its times no longer match the index's record.
        let path = repo.root().join("src/mod000/file_00001.ts");
        let text = fs::read(&path).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        fs::write(&path, &text).unwrap();
        let committed = Scope {
            staged: false,
            unstaged: false,
        };
        let before = fs::read(&index).unwrap();
        let unrefreshed = repo.changed_lines_on(&range, committed, 2, false).unwrap();
        let same = fs::read(&index).unwrap() == before;
        assert!(same, "without optional locks the index is not written");
        let refreshed = repo.changed_lines_on(&range, committed, 2, true).unwrap();
        let same = fs::read(&index).unwrap() == before;
        assert!(!same, "the index was refreshed");
        assert_eq!(refreshed, unrefreshed);

        for (value, allowed) in [
            (None, true),
            (Some("1"), true),
            (Some("true"), true),
            (Some("0"), false),
            (Some("false"), false),
            (Some("No"), false),
            (Some("off"), false),
        ] {
            assert_eq!(optional_locks(value), allowed, "{value:?}");
        }
    }
}
