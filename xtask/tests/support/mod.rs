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

    /// A copy of examples/kato-monorepo: a Deno workspace whose released app is
    /// apps/daemon.
    pub fn copy_monorepo() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path())
            .unwrap()
            .join("kato-monorepo");
        copy_tree(&repo_root().join("examples/kato-monorepo"), &path);
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
        // What a run of the example's own tests or dev task leaves behind.
        if [".test-tmp", ".kato-dev"].contains(&entry.file_name()) {
            continue;
        }
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
/// The binary the tests run: `xtask-github`, the build with every task built in.
pub fn xtask_exe() -> &'static str {
    match option_env!("CARGO_BIN_EXE_xtask-github") {
        Some(exe) => exe,
        None => panic!(
            "xtask-github is built only with feature github: run the tests with `cargo test \
             --workspace --all-features --locked`"
        ),
    }
}

pub fn xtask(args: &[&str]) -> Xtask {
    let mut command = Command::new(xtask_exe());
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

    /// The command itself, for what the builder does not offer.
    pub fn command(self) -> Command {
        self.command
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

/// The pinned deno, located or provisioned as the tasks do.
pub fn deno() -> Utf8PathBuf {
    let pin = deno_runner::pin::read_pin(&repo_root().join(deno_runner::pin::PIN_FILE)).unwrap();
    let located = deno_runner::Locator::from_env(pin)
        .unwrap()
        .locate()
        .expect("deno can be found or provisioned (needs npm and the registry)");
    located.deno.path().to_owned()
}

/// `deno task <task>` in `dir`, as a developer runs it: its exit code and output.
pub fn deno_task(dir: &Utf8Path, task: &str) -> Run {
    let output = Command::new(deno())
        .args(["task", task])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("deno runs");
    Run {
        code: output.status.code().expect("deno exited on its own"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
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

/// The release policy of [`audited_artifacts`], as a project declares it in deno.json.
pub const AUDITED_CONFIG: &str = r#"{
  "name": "@kato/kato",
  "version": "0.1.0",
  "exports": "./main.ts",
  "lock": false,
  "permissions": { "default": { "env": ["HOME"] } }
}
"#;

/// The five artifacts of a small project compiled with the policy of [`AUDITED_CONFIG`]
/// by `cargo xtask release build`, so that they pass the audit `release publish` makes:
/// built once into the target directory and kept there (a lock keeps test processes
/// from building them at once).
pub fn audited_artifacts() -> Utf8PathBuf {
    let root = Utf8PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("audited-artifacts-{}", pinned_deno_version()));
    let out = root.join("dist");
    std::fs::create_dir_all(&root).unwrap();
    let lock = std::fs::File::create(root.join(".lock")).unwrap();
    // Held until `lock` is dropped at the end: one test process builds, the others wait.
    let locked = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) };
    assert_eq!(locked, 0, "cannot lock {root}/.lock");
    if !out.join("SHA256SUMS").is_file() {
        let project = root.join("project");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(project.join("deno.json"), AUDITED_CONFIG).unwrap();
        std::fs::write(
            project.join("main.ts"),
            "console.log(Deno.env.get(\"HOME\"));\n",
        )
        .unwrap();
        let denort = denort_dir();
        let run = xtask(&[
            "release",
            "build",
            "--project",
            project.as_str(),
            "--out-dir",
            out.as_str(),
            "--denort-dir",
            denort.as_str(),
        ])
        .run();
        assert_eq!(run.code, 0, "{}", run.all());
    }
    out
}
