//! Finding a deno of the pinned version: `DENO`, then `PATH`, then the cache, else
//! provisioning one through npm.

use std::ffi::OsString;

use anyhow::{Context, Result, bail};
use camino::Utf8PathBuf;
use semver::Version;

use crate::platform::{NpmDistribution, host_npm_distribution};
use crate::provision::{Provisioner, cached_binary};
use crate::run::Deno;

/// The environment variable naming a deno binary to use as it is.
pub const DENO_VAR: &str = "DENO";
/// The environment variable that moves the cache of provisioned deno binaries.
pub const CACHE_DIR_VAR: &str = "XTASK_CACHE_DIR";

/// Where a located deno came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The `DENO` environment variable.
    EnvVar,
    /// `deno` on `PATH`, of the pinned version.
    Path,
    /// A copy provisioned earlier, from the cache.
    Cache,
    /// Provisioned now through npm.
    Provisioned,
}

/// A deno found by [`Locator::locate`], with what was noticed on the way.
#[derive(Debug, Clone)]
pub struct Located {
    /// The deno to run.
    pub deno: Deno,
    /// Where it came from.
    pub origin: Origin,
    /// Things worth telling the user (a deno on PATH of another version, ...).
    pub notes: Vec<String>,
}

/// The inputs of the search, explicit so that tests can set each one.
#[derive(Debug, Clone)]
pub struct Locator {
    /// The pinned version.
    pub pin: Version,
    /// The value of `DENO`, if set.
    pub deno_var: Option<Utf8PathBuf>,
    /// The `PATH` to search for `deno` and `npm`.
    pub path_var: Option<OsString>,
    /// The cache of provisioned binaries.
    pub cache_dir: Utf8PathBuf,
    /// The npm package of this platform's deno, `None` where deno publishes none.
    pub distribution: Option<NpmDistribution>,
}

impl Locator {
    /// A locator for this process's environment: `DENO`, `PATH`, and the cache in
    /// `XTASK_CACHE_DIR`, else the user's cache directory.
    pub fn from_env(pin: Version) -> Result<Self> {
        let deno_var = match std::env::var_os(DENO_VAR) {
            Some(value) if !value.is_empty() => Some(
                Utf8PathBuf::from_path_buf(value.into())
                    .map_err(|path| anyhow::anyhow!("{DENO_VAR}={path:?} is not UTF-8"))?,
            ),
            _ => None,
        };
        Ok(Self {
            pin,
            deno_var,
            path_var: std::env::var_os("PATH"),
            cache_dir: default_cache_dir()?,
            distribution: host_npm_distribution(),
        })
    }

    /// Finds or provisions deno. See the crate docs for the order.
    pub fn locate(&self) -> Result<Located> {
        let mut notes = Vec::new();
        if let Some(path) = &self.deno_var {
            let deno = Deno::probe(path).with_context(|| {
                format!(
                    "{DENO_VAR}={path} does not run as deno; unset it or point it at a deno binary"
                )
            })?;
            if deno.version() != &self.pin {
                notes.push(format!(
                    "{DENO_VAR}={path} is deno {}, not the pinned {}; using it as asked",
                    deno.version(),
                    self.pin
                ));
            }
            return Ok(Located {
                deno,
                origin: Origin::EnvVar,
                notes,
            });
        }
        if let Some(path) = self.find_on_path(deno_binary_name()) {
            match Deno::probe(&path) {
                Ok(deno) if deno.version() == &self.pin => {
                    return Ok(Located {
                        deno,
                        origin: Origin::Path,
                        notes,
                    });
                }
                Ok(deno) => notes.push(format!(
                    "deno on PATH ({path}) is {}, not the pinned {}; using a provisioned {}",
                    deno.version(),
                    self.pin,
                    self.pin
                )),
                Err(error) => notes.push(format!(
                    "deno on PATH ({path}) does not run ({error:#}); using a provisioned {}",
                    self.pin
                )),
            }
        }
        let Some(distribution) = self.distribution else {
            bail!(
                "deno publishes no npm package for {}-{}: install deno {} by hand \
                 (https://docs.deno.com/runtime/getting_started/installation/) and set {DENO_VAR}",
                std::env::consts::OS,
                std::env::consts::ARCH,
                self.pin
            );
        };
        let provisioner = Provisioner {
            pin: &self.pin,
            distribution,
            cache_dir: &self.cache_dir,
            npm: self.find_on_path(npm_binary_name()),
        };
        if let Some(deno) = cached_binary(&provisioner)? {
            return Ok(Located {
                deno,
                origin: Origin::Cache,
                notes,
            });
        }
        let deno = provisioner.provision()?;
        Ok(Located {
            deno,
            origin: Origin::Provisioned,
            notes,
        })
    }

    fn find_on_path(&self, name: &str) -> Option<Utf8PathBuf> {
        let path_var = self.path_var.as_ref()?;
        std::env::split_paths(path_var)
            .filter_map(|dir| Utf8PathBuf::from_path_buf(dir).ok())
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    }
}

/// `XTASK_CACHE_DIR`, else `<user cache dir>/kato-xtask`.
pub fn default_cache_dir() -> Result<Utf8PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_VAR).filter(|dir| !dir.is_empty()) {
        return Utf8PathBuf::from_path_buf(dir.into())
            .map_err(|dir| anyhow::anyhow!("{CACHE_DIR_VAR}={dir:?} is not UTF-8"));
    }
    let base = dirs::cache_dir().context(
        "this machine has no user cache directory: set XTASK_CACHE_DIR to a writable directory",
    )?;
    let base = Utf8PathBuf::from_path_buf(base)
        .map_err(|dir| anyhow::anyhow!("the user cache directory {dir:?} is not UTF-8"))?;
    Ok(base.join("kato-xtask"))
}

fn deno_binary_name() -> &'static str {
    if cfg!(windows) { "deno.exe" } else { "deno" }
}

fn npm_binary_name() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}
