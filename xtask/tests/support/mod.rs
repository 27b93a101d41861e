//! Running the built `cargo xtask` binary on temporary copies of examples/kato.

#![allow(dead_code)] // Each test file uses its own part of this module.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

/// The repository root.
pub fn repo_root() -> &'static Utf8Path {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The version in `.dvmrc`.
pub fn pinned_deno_version() -> String {
    std::fs::read_to_string(repo_root().join(".dvmrc"))
        .unwrap()
        .trim()
        .to_owned()
}

/// A temporary Deno project, removed when dropped.
pub struct Project {
    _dir: tempfile::TempDir,
    path: Utf8PathBuf,
}

impl Project {
    /// A copy of examples/kato.
    pub fn copy_example() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join("kato");
        copy_tree(&repo_root().join("examples/kato"), &path);
        Self { _dir: dir, path }
    }

    /// An empty directory, to write a project into.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join("project");
        std::fs::create_dir(&path).unwrap();
        Self { _dir: dir, path }
    }

    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.path.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path.join(relative)).unwrap()
    }

    /// Makes the project a git repository on `main` with everything committed.
    pub fn init_git(&self) {
        self.git(&["init", "--quiet", "--initial-branch=main"]);
        self.commit_all("the project");
    }

    /// Commits every change.
    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
    }

    /// Runs git in the project; returns its trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args(args)
            .current_dir(&self.path)
            .env("GIT_AUTHOR_NAME", "kato tests")
            .env("GIT_AUTHOR_EMAIL", "tests@kato.invalid")
            .env("GIT_COMMITTER_NAME", "kato tests")
            .env("GIT_COMMITTER_EMAIL", "tests@kato.invalid")
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

fn copy_tree(from: &Utf8Path, to: &Utf8Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in from.read_dir_utf8().unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A `cargo xtask` command line to run.
pub struct Xtask {
    command: Command,
}

/// `cargo xtask <args>`, outside GitHub Actions and without GitHub's token, API or
/// repository, whatever the environment of the test.
pub fn xtask(args: &[&str]) -> Xtask {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args);
    for name in [
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "GITHUB_WORKSPACE",
        "GITHUB_BASE_REF",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_API_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_SERVER_URL",
        "GITHUB_RUN_ID",
        "GITHUB_EVENT_PATH",
        "GITHUB_EVENT_NAME",
        "XTASK_PROJECT",
        "XTASK_COVERAGE_BASE",
        "XTASK_COVERAGE_FAIL_UNDER",
    ] {
        command.env_remove(name);
    }
    Xtask { command }
}

impl Xtask {
    pub fn project(mut self, project: &Project) -> Self {
        self.command.arg("--project").arg(project.path());
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    pub fn current_dir(mut self, dir: &Utf8Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    pub fn env_remove(mut self, name: &str) -> Self {
        self.command.env_remove(name);
        self
    }

    /// Starts the command, its output piped, without waiting for it.
    pub fn spawn(mut self) -> std::process::Child {
        self.command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the xtask binary starts")
    }

    pub fn run(mut self) -> Run {
        let output = self.command.output().expect("the xtask binary runs");
        Run {
            code: output.status.code().expect("xtask exited on its own"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

/// What a run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for assertion messages.
    pub fn all(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// The release targets' triples, in the runbook's order.
pub const TRIPLES: [&str; 5] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// A `--denort-dir` with every target's base runtime: the deno of its `@deno/<platform>`
/// npm package, installed into the xtask cache on first use.
pub fn denort_dir() -> Utf8PathBuf {
    let cache = deno_runner::default_cache_dir().unwrap();
    npm_denort::provision(&cache, &pinned_deno_version(), &TRIPLES)
        .expect("the @deno/<platform> npm packages can be installed (needs npm and the registry)")
}
