//! Running deno: a verified binary, and invocations run to completion with their
//! output captured and their duration measured.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use semver::Version;
use xshell::{Shell, cmd};

use crate::invocation::{BASE_ENV, Invocation, REMOVED_ENV};

/// A deno binary whose version has been read from `deno --version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deno {
    path: Utf8PathBuf,
    version: Version,
}

impl Deno {
    /// A binary whose version is known without running it (see `provision::cached_binary`).
    pub(crate) fn known(path: Utf8PathBuf, version: Version) -> Self {
        Self { path, version }
    }

    /// Runs `path --version` and reads the version from its first line.
    pub fn probe(path: &Utf8Path) -> Result<Self> {
        let sh = Shell::new()?;
        let output = cmd!(sh, "{path} --version")
            .env_remove("RUST_BACKTRACE")
            .ignore_status()
            .output()
            .with_context(|| format!("cannot run {path} --version"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!("`{path} --version` failed ({})", output.status);
        }
        let version = parse_version_output(&stdout)
            .with_context(|| format!("`{path} --version` printed {:?}", stdout.trim()))?;
        Ok(Self {
            path: path.to_owned(),
            version,
        })
    }

    /// The binary.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// Its version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The process for `invocation`: built with xshell, in the invocation's directory,
    /// with the base environment and the invocation's variables.
    pub fn command(&self, invocation: &Invocation) -> Result<Command> {
        let sh = Shell::new()?;
        sh.change_dir(&invocation.cwd);
        let deno = &self.path;
        let argv = invocation.argv();
        let mut cmd = cmd!(sh, "{deno} {argv...}");
        for name in REMOVED_ENV {
            cmd = cmd.env_remove(name);
        }
        cmd = cmd.envs(BASE_ENV).envs(&invocation.env);
        Ok(cmd.into())
    }

    /// Starts `invocation` with stdout and stderr captured together, in the order
    /// deno wrote them, in a process group of its own that SIGINT/SIGTERM of this
    /// process stops (crates/interrupt). Refused once this process is stopping.
    pub fn spawn(&self, invocation: &Invocation) -> Result<Running> {
        self.spawn_telling(invocation, None)
    }

    /// [`Deno::spawn`], sending on `ended` when the process's output ends (when it exits,
    /// unless something it started keeps the output open).
    pub(crate) fn spawn_telling(
        &self,
        invocation: &Invocation,
        ended: Option<Sender<()>>,
    ) -> Result<Running> {
        let mut command = self.command(invocation)?;
        let (mut reader, writer) = std::io::pipe().context("cannot create a pipe")?;
        command
            .stdin(Stdio::null())
            .stdout(writer.try_clone().context("cannot clone a pipe")?)
            .stderr(writer);
        let started = Instant::now();
        let (child, group) = interrupt::spawn(&mut command)
            .with_context(|| format!("cannot start `{invocation}` in {}", invocation.cwd))?;
        // The command holds the pipe's write ends: drop it so the reader sees EOF when
        // deno exits.
        drop(command);
        let collector = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            // A read error ends the capture; what was read is kept.
            let _ = reader.read_to_end(&mut bytes);
            if let Some(ended) = ended {
                // Nobody listening any more is fine.
                let _ = ended.send(());
            }
            bytes
        });
        Ok(Running {
            invocation: invocation.clone(),
            child,
            group,
            collector,
            started,
        })
    }

    /// Runs `invocation` to completion.
    pub fn run(&self, invocation: &Invocation) -> Result<Completed> {
        self.spawn(invocation)?.wait()
    }
}

/// A running deno process.
#[derive(Debug)]
pub struct Running {
    invocation: Invocation,
    child: Child,
    group: interrupt::Group,
    collector: JoinHandle<Vec<u8>>,
    started: Instant,
}

impl Running {
    /// Whether the process has exited, without waiting.
    pub fn has_exited(&mut self) -> Result<bool> {
        Ok(self
            .child
            .try_wait()
            .with_context(|| format!("cannot poll `{}`", self.invocation))?
            .is_some())
    }

    /// Stops the process, and whatever it started (its process group), and returns what
    /// it wrote until then.
    pub fn kill(mut self) -> Result<Completed> {
        // It may have exited in the meantime; that is fine.
        self.group.kill();
        let _ = self.child.kill();
        self.wait()
    }

    /// Waits for the process to exit and collects its output. An error when this
    /// process is stopping on a signal (the process was stopped with it).
    pub fn wait(self) -> Result<Completed> {
        let Running {
            invocation,
            mut child,
            group,
            collector,
            started,
        } = self;
        let status = child
            .wait()
            .with_context(|| format!("cannot wait for `{invocation}`"))?;
        // Reaped: a stop no longer needs to signal its group.
        drop(group);
        let duration = started.elapsed();
        let bytes = collector
            .join()
            .map_err(|_| anyhow::anyhow!("the output reader of `{invocation}` panicked"))?;
        if interrupt::stopping() {
            return Err(interrupt::Stopped)
                .with_context(|| format!("`{invocation}` ended ({status})"));
        }
        Ok(Completed {
            invocation,
            status,
            output: String::from_utf8_lossy(&bytes).into_owned(),
            duration,
        })
    }
}

/// A finished deno process.
#[derive(Debug, Clone)]
pub struct Completed {
    /// What ran.
    pub invocation: Invocation,
    /// How it exited.
    pub status: ExitStatus,
    /// Stdout and stderr, interleaved as written.
    pub output: String,
    /// Wall time from start to exit.
    pub duration: Duration,
}

impl Completed {
    /// Whether deno exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

/// Reads `2.9.5` from `deno 2.9.5 (stable, release, x86_64-unknown-linux-gnu)`.
pub fn parse_version_output(text: &str) -> Result<Version> {
    let first = text.lines().next().unwrap_or_default();
    let version = first
        .strip_prefix("deno ")
        .and_then(|rest| rest.split_whitespace().next())
        .context("expected a first line like `deno 2.9.5 (...)`")?;
    Version::parse(version).with_context(|| format!("{version:?} is not a version"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_line() {
        let text = "deno 2.9.5 (stable, release, x86_64-unknown-linux-gnu)\nv8 15.0\n";
        assert_eq!(parse_version_output(text).unwrap(), Version::new(2, 9, 5));
        assert!(parse_version_output("node v20\n").is_err());
        assert!(parse_version_output("deno two\n").is_err());
        assert!(parse_version_output("").is_err());
    }
}
