//! Test support: throwaway git repositories, and diff-cover (the reference
//! implementation) installed from PyPI into a private, cached virtual environment.

#![allow(dead_code)] // Each test file uses its own part of this module.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use coverage_export::{
    Analysis, FileFilter, Inputs, PrefixRemap, Repository, Scope, analyze, stage_coverage_files,
};
use serde_json::Value;

/// A git repository in a temporary directory, removed when dropped.
pub struct Repo {
    _dir: tempfile::TempDir,
    pub path: Utf8PathBuf,
}

impl Repo {
    /// An empty repository on branch `base`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join("repo");
        std::fs::create_dir(&path).unwrap();
        let repo = Repo { _dir: dir, path };
        repo.git(&["init", "-q", "-b", "base"]);
        repo.git(&["config", "user.email", "test@example.invalid"]);
        repo.git(&["config", "user.name", "test"]);
        repo.git(&["config", "core.autocrlf", "false"]);
        repo
    }

    /// The directory beside the repository, for lcov files and reports.
    pub fn outside(&self) -> Utf8PathBuf {
        self.path.parent().unwrap().to_owned()
    }

    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.path, args)
    }

    /// `git add -A && git commit -m message`.
    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Writes `coverage.lcov` beside the repository and returns its path.
    pub fn lcov(&self, text: &str) -> Utf8PathBuf {
        self.lcov_named("coverage.lcov", text)
    }

    /// Writes an lcov file beside the repository and returns its path.
    pub fn lcov_named(&self, name: &str, text: &str) -> Utf8PathBuf {
        let path = self.outside().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// `git <args>` in `dir`, which must succeed; its stdout.
pub fn git(dir: &Utf8Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git must be installed to run these tests");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `SF:<abs path>` and one `DA` per line number in `hits` (`(line, hits)`).
pub fn record(path: &Utf8Path, hits: &[(u32, u64)]) -> String {
    let mut text = format!("SF:{path}\n");
    for (line, count) in hits {
        text.push_str(&format!("DA:{line},{count}\n"));
    }
    text.push_str("end_of_record\n");
    text
}

/// Our figures, as the JSON report the coverage task writes.
pub fn ours(repo: &Utf8Path, lcov: &Utf8Path, base: &str, remaps: &[&str]) -> Value {
    ours_filtered(repo, lcov, base, remaps, &FileFilter::default())
}

/// [`ours`] with `--include` / `--exclude` patterns.
pub fn ours_filtered(
    repo: &Utf8Path,
    lcov: &Utf8Path,
    base: &str,
    remaps: &[&str],
    filter: &FileFilter,
) -> Value {
    let repository = Repository::discover(repo).unwrap();
    let range = repository.range(base).unwrap();
    let scope = Scope::default();
    let out = tempfile::tempdir().unwrap();
    let out = Utf8Path::from_path(out.path()).unwrap();
    let inputs = Inputs {
        lcov,
        repo: &repository,
        range: &range,
        scope,
        remaps: remaps
            .iter()
            .map(|r| r.parse::<PrefixRemap>().unwrap())
            .collect(),
        filter: filter.clone(),
    };
    let (analysis, staged): (Analysis, _) = analyze(&inputs, |coverage| {
        stage_coverage_files(out, coverage, repository.root())
    })
    .unwrap();
    let lcov_name = lcov.to_string();
    let report = coverage_export::reports::Report {
        lcov: &lcov_name,
        diff_name: range.describe(scope),
        threshold: 85.0,
        patch: &analysis.patch,
        overall: analysis.overall,
        outside: &analysis.coverage.outside,
        filter,
        filtered_out: &analysis.coverage.filtered_out,
    };
    let sources = coverage_export::reports::Sources {
        coverage: &analysis.coverage,
        changed: &analysis.changed,
        root: repository.root(),
    };
    coverage_export::write_outputs(out, &report, &sources, staged).unwrap();
    serde_json::from_str(&std::fs::read_to_string(out.join("coverage.json")).unwrap()).unwrap()
}

/// diff-cover's JSON report for the same inputs, run in the repository as its docs say.
pub fn reference(repo: &Utf8Path, lcov: &Utf8Path, base: &str) -> Value {
    reference_with(repo, lcov, base, &[])
}

/// [`reference`] with more of diff-cover's arguments, such as `--include a b`.
pub fn reference_with(repo: &Utf8Path, lcov: &Utf8Path, base: &str, args: &[&str]) -> Value {
    let out = tempfile::tempdir().unwrap();
    let json = Utf8Path::from_path(out.path())
        .unwrap()
        .join("diff-cover.json");
    let output = diff_cover()
        .arg(lcov.as_str())
        .arg(format!("--compare-branch={base}"))
        .arg(format!("--format=json:{json}"))
        .args(args)
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "diff-cover failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap()
}

/// Asserts the figures diff-cover reports are ours too: totals, and per file the
/// violation and covered lines and the percentage.
pub fn assert_agree(ours: &Value, reference: &Value) {
    for field in [
        "total_num_lines",
        "total_num_violations",
        "total_percent_covered",
        "num_changed_lines",
    ] {
        assert_eq!(
            ours[field], reference[field],
            "{field}\nours: {ours:#}\ndiff-cover: {reference:#}"
        );
    }
    let files = |v: &Value| {
        let mut keys: Vec<String> = v["src_stats"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(files(ours), files(reference), "src_stats files");
    for (file, stats) in reference["src_stats"].as_object().unwrap() {
        for field in [
            "violation_lines",
            "covered_lines",
            "percent_covered",
            "violations",
        ] {
            assert_eq!(
                ours["src_stats"][file][field], stats[field],
                "{file}: {field}"
            );
        }
    }
}

/// diff-cover, installed on first use into the cache (`XTASK_CACHE_DIR` or the user's).
pub fn diff_cover() -> Command {
    let cache = deno_runner::default_cache_dir().unwrap();
    pytools::DIFF_COVER
        .install(&cache)
        .unwrap_or_else(|e| panic!("diff-cover is needed as the reference: {e:#}"))
        .command()
}
