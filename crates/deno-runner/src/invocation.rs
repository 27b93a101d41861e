//! Typed deno invocations: which subcommand, which arguments, in which directory, with
//! which environment. Building one runs nothing.

use std::collections::BTreeMap;
use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};

/// The deno subcommands the tasks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subcommand {
    /// `deno fmt`.
    Fmt,
    /// `deno lint`.
    Lint,
    /// `deno check`.
    Check,
    /// `deno test`.
    Test,
    /// `deno coverage`.
    Coverage,
    /// `deno compile`.
    Compile,
    /// `deno outdated`.
    Outdated,
    /// `deno task`.
    Task,
}

impl Subcommand {
    /// The word on deno's command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Subcommand::Fmt => "fmt",
            Subcommand::Lint => "lint",
            Subcommand::Check => "check",
            Subcommand::Test => "test",
            Subcommand::Coverage => "coverage",
            Subcommand::Compile => "compile",
            Subcommand::Outdated => "outdated",
            Subcommand::Task => "task",
        }
    }
}

/// Environment variables set for every invocation, so that captured output is plain
/// text and deno never waits for a terminal or the network on its own account.
pub const BASE_ENV: [(&str, &str); 3] = [
    ("NO_COLOR", "1"),
    ("DENO_NO_PROMPT", "1"),
    ("DENO_NO_UPDATE_CHECK", "1"),
];

/// Environment variables removed for every invocation: deno is written in Rust and a
/// `RUST_BACKTRACE` meant for xtask would add backtraces to deno's ordinary errors.
pub const REMOVED_ENV: [&str; 2] = ["RUST_BACKTRACE", "RUST_LIB_BACKTRACE"];

/// One deno command line with its directory and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The subcommand.
    pub subcommand: Subcommand,
    /// Arguments after the subcommand.
    pub args: Vec<String>,
    /// Working directory: the project directory.
    pub cwd: Utf8PathBuf,
    /// Variables set on top of the inherited environment and [`BASE_ENV`].
    pub env: BTreeMap<String, String>,
}

/// Options of `deno test`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestOptions {
    /// `--frozen`: fail when the lockfile would change.
    pub frozen: bool,
    /// `--no-check`: skip type-checking (when `deno check` covers the test files).
    pub no_check: bool,
    /// `--parallel`: run test files in parallel workers.
    pub parallel: bool,
    /// `--coverage=<dir>`: collect coverage there.
    pub coverage_dir: Option<Utf8PathBuf>,
}

/// Options of `deno compile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileOptions {
    /// Target triple, e.g. `x86_64-unknown-linux-gnu`.
    pub target: String,
    /// Output file.
    pub output: Utf8PathBuf,
    /// Permission flags baked into the binary (`--allow-read=/etc/kato`, ...).
    pub permission_flags: Vec<String>,
    /// The entry module.
    pub entry: String,
    /// A local base runtime binary, passed as `DENORT_BIN` instead of downloading one.
    pub denort_bin: Option<Utf8PathBuf>,
    /// `--no-check`: skip the type check (when `deno check` ran before).
    pub no_check: bool,
    /// `--frozen`: fail when the lockfile would change.
    pub frozen: bool,
}

impl Invocation {
    fn new(subcommand: Subcommand, cwd: &Utf8Path, args: Vec<String>) -> Self {
        Self {
            subcommand,
            args,
            cwd: cwd.to_owned(),
            env: BTreeMap::new(),
        }
    }

    /// `deno fmt --check`.
    pub fn fmt_check(cwd: &Utf8Path) -> Self {
        Self::new(Subcommand::Fmt, cwd, vec!["--check".into()])
    }

    /// `deno lint`.
    pub fn lint(cwd: &Utf8Path) -> Self {
        Self::new(Subcommand::Lint, cwd, Vec::new())
    }

    /// `deno check [--frozen]`: every module of the project, test files included.
    pub fn check(cwd: &Utf8Path, frozen: bool) -> Self {
        Self::new(Subcommand::Check, cwd, frozen_flag(frozen))
    }

    /// `deno test` with the given options.
    pub fn test(cwd: &Utf8Path, options: &TestOptions) -> Self {
        let mut args = frozen_flag(options.frozen);
        if options.no_check {
            args.push("--no-check".into());
        }
        if options.parallel {
            args.push("--parallel".into());
        }
        if let Some(dir) = &options.coverage_dir {
            args.push(format!("--coverage={dir}"));
        }
        Self::new(Subcommand::Test, cwd, args)
    }

    /// `deno coverage <dir>... --lcov --output=<file>`: the profiles of one or more test
    /// runs, merged.
    pub fn coverage_lcov(cwd: &Utf8Path, profiles: &[Utf8PathBuf], output: &Utf8Path) -> Self {
        let mut args: Vec<String> = profiles.iter().map(ToString::to_string).collect();
        args.extend(["--lcov".into(), format!("--output={output}")]);
        Self::new(Subcommand::Coverage, cwd, args)
    }

    /// `deno compile` for one target, never with `--allow-all`.
    pub fn compile(cwd: &Utf8Path, options: &CompileOptions) -> Self {
        let mut args = frozen_flag(options.frozen);
        args.extend([
            format!("--target={}", options.target),
            format!("--output={}", options.output),
        ]);
        if options.no_check {
            args.push("--no-check".into());
        }
        args.extend(options.permission_flags.iter().cloned());
        args.push(options.entry.clone());
        let mut invocation = Self::new(Subcommand::Compile, cwd, args);
        if let Some(denort) = &options.denort_bin {
            invocation
                .env
                .insert("DENORT_BIN".into(), denort.to_string());
        }
        invocation
    }

    /// `deno task --no-lock -q --eval <command>`: a command line run by deno's task
    /// shell, which expands its globs and variables as `deno task` would. `--no-lock`:
    /// the task runner itself would rewrite a stale deno.lock before the command runs,
    /// hiding it from the command's `--frozen`; `-q`: without deno's `Task ...` header.
    pub fn task_eval(cwd: &Utf8Path, command: &str) -> Self {
        Self::new(
            Subcommand::Task,
            cwd,
            vec![
                "--no-lock".into(),
                "-q".into(),
                "--eval".into(),
                command.to_owned(),
            ],
        )
    }

    /// `deno outdated`, with extra arguments passed through (`--update`, `--latest`, ...).
    pub fn outdated(cwd: &Utf8Path, extra: &[String]) -> Self {
        Self::new(Subcommand::Outdated, cwd, extra.to_vec())
    }

    /// The full argument vector after `deno`.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.subcommand.as_str().to_owned())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

impl fmt::Display for Invocation {
    /// The command line as a person would type it: `deno check --frozen`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deno")?;
        for arg in self.argv() {
            if arg.contains(char::is_whitespace) {
                write!(f, " '{arg}'")?;
            } else {
                write!(f, " {arg}")?;
            }
        }
        Ok(())
    }
}

fn frozen_flag(frozen: bool) -> Vec<String> {
    if frozen {
        vec!["--frozen".into()]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_gate_command_lines() {
        let dir = Utf8Path::new("/p");
        assert_eq!(Invocation::fmt_check(dir).to_string(), "deno fmt --check");
        assert_eq!(Invocation::lint(dir).to_string(), "deno lint");
        assert_eq!(
            Invocation::check(dir, true).to_string(),
            "deno check --frozen"
        );
        assert_eq!(Invocation::check(dir, false).to_string(), "deno check");
        let test = Invocation::test(
            dir,
            &TestOptions {
                frozen: true,
                no_check: true,
                parallel: true,
                coverage_dir: Some("/p/.cov".into()),
            },
        );
        assert_eq!(
            test.argv(),
            [
                "test",
                "--frozen",
                "--no-check",
                "--parallel",
                "--coverage=/p/.cov"
            ]
        );
        assert_eq!(test.cwd, "/p");
    }

    #[test]
    fn coverage_writes_lcov_to_a_file() {
        let inv = Invocation::coverage_lcov(
            Utf8Path::new("/p"),
            &["/p/.cov".into()],
            Utf8Path::new("/out/my lcov.info"),
        );
        assert_eq!(
            inv.to_string(),
            "deno coverage /p/.cov --lcov '--output=/out/my lcov.info'"
        );
    }

    #[test]
    fn compile_passes_permissions_and_base_runtime() {
        let inv = Invocation::compile(
            Utf8Path::new("/p"),
            &CompileOptions {
                target: "aarch64-apple-darwin".into(),
                output: "/out/kato-darwin-arm64".into(),
                permission_flags: vec!["--allow-read=/etc/kato".into()],
                entry: "main.ts".into(),
                denort_bin: Some("/rt/deno".into()),
                no_check: true,
                frozen: true,
            },
        );
        assert_eq!(
            inv.argv(),
            [
                "compile",
                "--frozen",
                "--target=aarch64-apple-darwin",
                "--output=/out/kato-darwin-arm64",
                "--no-check",
                "--allow-read=/etc/kato",
                "main.ts"
            ]
        );
        assert_eq!(inv.env["DENORT_BIN"], "/rt/deno");
        assert!(!inv.argv().iter().any(|a| a == "-A" || a == "--allow-all"));
    }

    #[test]
    fn outdated_passes_extra_arguments() {
        let inv = Invocation::outdated(Utf8Path::new("/p"), &["--latest".into()]);
        assert_eq!(inv.to_string(), "deno outdated --latest");
    }
}
