//! Pinned Python command-line tools from PyPI, each installed once into a private
//! virtual environment under a cache directory and run from there.
//!
//! The benchmarks and tests compare with tools such as diff-cover; they must neither rely
//! on what a machine happens to have installed nor install into the user's Python.

#![warn(missing_docs)]

use std::process::Command;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

/// A Python package pinned to one version, and the module that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PyTool {
    /// The PyPI package.
    pub package: &'static str,
    /// The pinned version.
    pub version: &'static str,
    /// The module run with `python -m`.
    pub module: &'static str,
}

/// diff-cover, the reference implementation of patch coverage.
pub const DIFF_COVER: PyTool = PyTool {
    package: "diff-cover",
    version: "11.0.1",
    module: "diff_cover.diff_cover_tool",
};

/// An installed tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    tool: PyTool,
    venv: Utf8PathBuf,
}

impl PyTool {
    /// The tool in `<cache>/python/<package>-<version>`, installed there first when missing
    /// (`python3 -m venv`, then `pip install <package>==<version>`).
    ///
    /// The environment is built in a staging directory and renamed into place, so that
    /// concurrent callers never see half an installation. It is only ever run as
    /// `python -m <module>`, which keeps working after the rename (scripts in `bin/` would
    /// still name the staging path).
    pub fn install(&self, cache: &Utf8Path) -> Result<Installed> {
        let venv = cache.join(format!("python/{}-{}", self.package, self.version));
        let installed = Installed { tool: *self, venv };
        if installed.python().is_file() {
            return Ok(installed);
        }
        let parent = installed.venv.parent().expect("the venv has a parent");
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {parent}"))?;
        let stage = parent.join(format!(
            ".stage-{}-{}-{}",
            self.package,
            std::process::id(),
            unique()
        ));
        let result = self.build(&stage).and_then(|()| {
            match std::fs::rename(&stage, &installed.venv) {
                Ok(()) => Ok(()),
                // Another process finished first: use theirs.
                Err(_) if installed.python().is_file() => Ok(()),
                Err(e) => {
                    Err(e).with_context(|| format!("cannot move {stage} to {}", installed.venv))
                }
            }
        });
        let _ = std::fs::remove_dir_all(&stage);
        result?;
        Ok(installed)
    }

    fn build(&self, stage: &Utf8Path) -> Result<()> {
        run(
            Command::new("python3").args(["-m", "venv", stage.as_str()]),
            "python3 -m venv: a Python 3 with the venv module is needed (Debian: apt install python3-venv)",
        )?;
        run(
            Command::new(stage.join("bin/python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg(format!("{}=={}", self.package, self.version)),
            &format!(
                "pip install {}=={} (PyPI must be reachable, or a pip index configured)",
                self.package, self.version
            ),
        )
    }
}

impl Installed {
    /// The environment's Python.
    pub fn python(&self) -> Utf8PathBuf {
        self.venv.join("bin/python")
    }

    /// `python -m <module>`, ready for arguments.
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.python());
        command.args(["-m", self.tool.module]);
        command
    }

    /// The pinned version.
    pub fn version(&self) -> &'static str {
        self.tool.version
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let output = command.output().with_context(|| what.to_owned())?;
    if !output.status.success() {
        bail!(
            "{what}: failed\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
