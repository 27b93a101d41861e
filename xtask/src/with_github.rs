//! The tasks that talk to GitHub, reached from a build of xtask without them.
//!
//! `cargo build -p xtask` leaves out the GitHub client (octocrab with hyper, rustls and
//! ring: more than half of a cold build), which `ci`, `coverage`, `release build` and
//! most tasks never use. A task that does use it (`release VERSION`, `release publish`,
//! `release plan --version`, `verify-tag`, `github setup`, `coverage --comment`, `bench
//! publish`) runs the same command line again in the binary `xtask-github`, through
//! `cargo run --features github --bin xtask-github`: the first one builds the rest, later
//! ones only wait for cargo's freshness check. On Unix cargo replaces this process, so
//! the signals, streams and exit status are the task's own.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

use crate::context;

/// Runs this process's command line in the build of xtask with the GitHub tasks. On
/// Unix it returns only when cargo could not be started.
pub fn run() -> Result<ExitCode> {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|exe| Utf8PathBuf::from_path_buf(exe).ok());
    let build = exe.as_deref().and_then(build_dir);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(cargo_args(
        &context::repo_root().join("Cargo.toml"),
        build.as_ref(),
        std::env::args_os().skip(1),
    ));
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_run) {
            command.env_remove(name);
        }
    }
    eprintln!(
        "this task talks to GitHub: it runs in the build of xtask with the GitHub client \
         (xtask-github), compiled on first use"
    );
    hand_over(command).with_context(|| format!("cannot run {}", cargo.to_string_lossy()))
}

/// Whether `cargo run` set the variable `name` for this binary, as for any crate it
/// runs. Left in the environment of the cargo that builds `xtask-github`, they would
/// change the fingerprints of build scripts that read them (ring's reads
/// CARGO_MANIFEST_DIR and CARGO_PKG_*), which would then rebuild ring, rustls and
/// octocrab here, and again in the next plain `cargo build` or `cargo test`.
fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR"
        )
}

/// Where cargo built this binary: the target directory and the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BuildDir {
    target_dir: Utf8PathBuf,
    profile: String,
}

/// The build directory of `exe` when it lies where cargo puts binaries,
/// `<target-dir>/<profile>/xtask`, with the CACHEDIR.TAG cargo writes into every target
/// directory. `xtask-github` is then built beside it, whatever `--target-dir` or
/// `--profile` built this one.
fn build_dir(exe: &Utf8Path) -> Option<BuildDir> {
    let profile_dir = exe.parent()?;
    let target_dir = profile_dir.parent()?;
    if !target_dir.join("CACHEDIR.TAG").is_file() {
        return None;
    }
    let profile = match profile_dir.file_name()? {
        "debug" => "dev",
        other => other,
    };
    Some(BuildDir {
        target_dir: target_dir.to_owned(),
        profile: profile.to_owned(),
    })
}

/// `cargo run` of `xtask-github`, with `task_args` after `--`.
fn cargo_args(
    manifest: &Utf8Path,
    build: Option<&BuildDir>,
    task_args: impl IntoIterator<Item = OsString>,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "run",
        "--manifest-path",
        manifest.as_str(),
        "--package",
        "xtask",
        "--features",
        "github",
        "--bin",
        "xtask-github",
    ]
    .map(OsString::from)
    .to_vec();
    if let Some(build) = build {
        args.extend(["--target-dir".into(), build.target_dir.as_str().into()]);
        args.extend(["--profile".into(), build.profile.as_str().into()]);
    }
    args.push("--".into());
    args.extend(task_args);
    args
}

#[cfg(unix)]
fn hand_over(mut command: Command) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    // exec resets the signal mask, which crates/interrupt blocked in this thread.
    Err(command.exec().into())
}

#[cfg(not(unix))]
fn hand_over(mut command: Command) -> Result<ExitCode> {
    let status = command.status()?;
    Ok(ExitCode::from(
        status
            .code()
            .and_then(|code| u8::try_from(code).ok())
            .unwrap_or(1),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: Vec<OsString>) -> Vec<String> {
        args.into_iter()
            .map(|arg| arg.into_string().unwrap())
            .collect()
    }

    #[test]
    fn the_command_line_goes_after_the_build_flags() {
        let build = BuildDir {
            target_dir: "/w/target".into(),
            profile: "dev".into(),
        };
        let task = ["release", "0.1.0", "--", "-x"].map(OsString::from);
        let args = strings(cargo_args("/w/Cargo.toml".into(), Some(&build), task));
        assert_eq!(
            args.join(" "),
            "run --manifest-path /w/Cargo.toml --package xtask --features github --bin \
             xtask-github --target-dir /w/target --profile dev -- release 0.1.0 -- -x"
        );
        let bare = strings(cargo_args("/w/Cargo.toml".into(), None, []));
        assert_eq!(bare.last().map(String::as_str), Some("--"));
        assert!(!bare.iter().any(|arg| arg == "--target-dir"));
    }

    #[test]
    fn only_what_cargo_run_sets_is_left_out() {
        for name in [
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_PRIMARY_PACKAGE",
        ] {
            assert!(set_by_cargo_run(name), "{name}");
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_JOBS",
            "CARGO_PROFILE_DEV_DEBUG",
            "CARGO_TERM_COLOR",
            "RUSTFLAGS",
            "PATH",
        ] {
            assert!(!set_by_cargo_run(name), "{name}");
        }
    }

    #[test]
    fn the_build_dir_is_found_only_in_a_target_directory() {
        let scratch = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(scratch.path()).unwrap();
        for profile in ["debug", "release", "ci"] {
            std::fs::create_dir_all(root.join("target").join(profile)).unwrap();
        }
        let exe = |profile: &str| root.join("target").join(profile).join("xtask");
        assert_eq!(build_dir(&exe("debug")), None, "no CACHEDIR.TAG yet");
        std::fs::write(
            root.join("target/CACHEDIR.TAG"),
            "Signature: 8a477f597d28d172789f06886806bc55\n",
        )
        .unwrap();
        for (dir, profile) in [("debug", "dev"), ("release", "release"), ("ci", "ci")] {
            assert_eq!(
                build_dir(&exe(dir)),
                Some(BuildDir {
                    target_dir: root.join("target"),
                    profile: profile.into(),
                })
            );
        }
        assert_eq!(build_dir(&root.join("target/xtask")), None);
    }
}
