//! Provisioning deno through npm into a cache shared by every xtask process.
//!
//! Layout: `<cache>/deno/<version>/deno`. A copy is installed into a private staging
//! directory beside it, verified, then renamed into place: the rename is atomic, so two
//! processes provisioning at once never see a half-written copy, and the loser of the
//! race uses the winner's copy.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use indicatif::{ProgressBar, ProgressStyle};
use semver::Version;
use xshell::{Shell, cmd};

use crate::platform::NpmDistribution;
use crate::run::Deno;

/// What provisioning needs.
pub(crate) struct Provisioner<'a> {
    pub pin: &'a Version,
    pub distribution: NpmDistribution,
    pub cache_dir: &'a Utf8Path,
    /// The npm client, `None` when it is not on PATH.
    pub npm: Option<Utf8PathBuf>,
}

impl Provisioner<'_> {
    fn versions_dir(&self) -> Utf8PathBuf {
        self.cache_dir.join("deno")
    }

    fn final_dir(&self) -> Utf8PathBuf {
        self.versions_dir().join(self.pin.to_string())
    }

    fn final_binary(&self) -> Utf8PathBuf {
        self.final_dir().join(self.distribution.binary)
    }

    /// Installs the pinned deno into the cache and returns it.
    pub fn provision(&self) -> Result<Deno> {
        let Some(npm) = &self.npm else {
            bail!(
                "deno {pin} is not installed and npm, which would install it, is not on PATH. \
                 Install Node.js with npm, or install deno {pin} by hand \
                 (https://docs.deno.com/runtime/getting_started/installation/) and run with \
                 DENO=/path/to/deno",
                pin = self.pin
            );
        };
        let versions_dir = self.versions_dir();
        std::fs::create_dir_all(&versions_dir)
            .with_context(|| format!("cannot create the deno cache {versions_dir}"))?;
        remove_abandoned_stages(&versions_dir);
        // Removed when it goes out of scope, whether provisioning succeeded or not.
        let stage_guard = tempfile::Builder::new()
            .prefix(".stage-")
            .tempdir_in(&versions_dir)
            .with_context(|| format!("cannot create a staging directory in {versions_dir}"))?;
        let stage = Utf8Path::from_path(stage_guard.path())
            .context("the staging directory path is not UTF-8")?;

        let spec = format!("{}@{}", self.distribution.package, self.pin);
        let progress = spinner(format!("provisioning deno {} from npm ({spec})", self.pin));
        let npm_prefix = stage.join("npm");
        let sh = Shell::new()?;
        let output = cmd!(
            sh,
            "{npm} install --prefix {npm_prefix} --no-save --no-package-lock --no-audit --no-fund --ignore-scripts --loglevel=error {spec}"
        )
        .ignore_status()
        .output()
        .with_context(|| format!("cannot run {npm}"))?;
        progress.finish_and_clear();
        if !output.status.success() {
            bail!(
                "`npm install {spec}` failed ({}):\n{}\nCheck that the npm registry is reachable, \
                 or install deno {} by hand and run with DENO=/path/to/deno",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim(),
                self.pin
            );
        }

        let installed = npm_prefix
            .join("node_modules")
            .join(self.distribution.package)
            .join(self.distribution.binary);
        let staged_dir = stage.join("dist");
        std::fs::create_dir(&staged_dir)?;
        let staged_binary = staged_dir.join(self.distribution.binary);
        std::fs::rename(&installed, &staged_binary)
            .with_context(|| format!("npm installed {spec} but {installed} is missing"))?;
        let deno = Deno::probe(&staged_binary)?;
        if deno.version() != self.pin {
            bail!(
                "npm installed {spec} but it reports deno {}, not {}",
                deno.version(),
                self.pin
            );
        }

        let final_dir = self.final_dir();
        if let Err(rename_error) = std::fs::rename(&staged_dir, &final_dir) {
            // Another process finished first: its copy is as good as ours.
            return cached_binary(self)?.ok_or_else(|| {
                anyhow::Error::new(rename_error)
                    .context(format!("cannot move deno into the cache at {final_dir}"))
            });
        }
        eprintln!("provisioned deno {} at {}", self.pin, self.final_binary());
        Deno::probe(&self.final_binary())
    }
}

/// The cached copy of the pinned deno, if one is there and runs. A broken copy (for
/// example one emptied by hand) is moved aside so that provisioning can replace it.
///
/// The copy is run (`deno --version`, a deno start) only when it is not the file that
/// printed the pinned version last time: [`PROBED`] records that file's size, time,
/// mode and inode, and a copy that still has them is not asked again.
pub(crate) fn cached_binary(provisioner: &Provisioner) -> Result<Option<Deno>> {
    let binary = provisioner.final_binary();
    if !provisioner.final_dir().exists() {
        return Ok(None);
    }
    let record = provisioner.final_dir().join(PROBED);
    let probed = |identity: &str| format!("deno {} {identity}\n", provisioner.pin);
    let identity = identity(&binary);
    if let Some(identity) = &identity
        && std::fs::read_to_string(&record).is_ok_and(|text| text == probed(identity))
    {
        return Ok(Some(Deno::known(binary, provisioner.pin.clone())));
    }
    match Deno::probe(&binary) {
        Ok(deno) if deno.version() == provisioner.pin => {
            if let Some(identity) = &identity {
                // Best effort: without the record the next task asks again.
                let _ = atomic_write::write(&record, probed(identity));
            }
            Ok(Some(deno))
        }
        _ => {
            let aside = provisioner
                .versions_dir()
                .join(format!(".broken-{}", std::process::id()));
            // A concurrent process may have moved it already; either way it is gone.
            if std::fs::rename(provisioner.final_dir(), &aside).is_ok() {
                let _ = std::fs::remove_dir_all(&aside);
            }
            Ok(None)
        }
    }
}

/// The record, beside the cached copy, of the file that last printed the pinned version.
const PROBED: &str = ".probed";

/// What tells a file apart from a changed or replaced one: its size, modification time,
/// mode and inode (on Windows, size and time).
fn identity(path: &Utf8Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(format!(
            "{} {}.{:09} {:o} {}:{}",
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.mode(),
            meta.dev(),
            meta.ino()
        ))
    }
    #[cfg(not(unix))]
    {
        Some(format!("{} {:?}", meta.len(), meta.modified().ok()?))
    }
}

/// Staging directories older than a day belong to processes that were killed while
/// provisioning (a live one finishes in seconds): each holds a whole deno, so they go.
fn remove_abandoned_stages(versions_dir: &Utf8Path) {
    const ABANDONED: Duration = Duration::from_secs(24 * 60 * 60);
    let Ok(entries) = versions_dir.read_dir_utf8() else {
        return;
    };
    for entry in entries.flatten() {
        let abandoned = entry.file_name().starts_with(".stage-")
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age > ABANDONED);
        if abandoned {
            // Best effort: another process may be removing it too.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if bar.is_hidden() {
        // Not a terminal (CI logs): one plain line instead of a spinner.
        eprintln!("{message} ...");
    } else {
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .expect("the template is valid"),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
    }
    bar
}
