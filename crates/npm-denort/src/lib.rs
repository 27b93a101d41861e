//! Base runtimes for `deno compile --target` without the internet.
//!
//! `deno compile` downloads a base runtime (denort) per target unless `DENORT_BIN` names
//! a local file. Where only the npm registry is reachable, the deno binary of the
//! target's `@deno/<platform>` npm package (same version) stands in for it: deno then
//! writes a real ELF, Mach-O or PE artifact with the project and its permissions
//! embedded, which runs as plain deno rather than as the project. That is enough to test
//! names, formats, checksums and embedded metadata, which is what this crate is for: the
//! release tests and `cargo xtask bench release`. Releases use the real denort.
//!
//! [`provision`] installs them into `<cache>/denort/<version>/<triple>/deno[.exe]`, the
//! layout `--denort-dir` reads. Each package is installed into a private staging
//! directory and renamed into place, so concurrent provisioning never exposes a
//! half-written binary and the first rename wins.

#![warn(missing_docs)]

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::{NpmDistribution, npm_distribution};
use xshell::{Shell, cmd};

/// The npm distribution whose deno stands in for `triple`'s base runtime.
fn distribution(triple: &str) -> Option<NpmDistribution> {
    let arch = triple.split('-').next()?;
    let os = if triple.contains("-linux-gnu") {
        "linux"
    } else if triple.contains("-apple-darwin") {
        "macos"
    } else if triple.contains("-windows-msvc") {
        "windows"
    } else {
        return None;
    };
    npm_distribution(os, arch)
}

/// The directory of base runtimes for `version` in `cache_dir`, with one for each of
/// `triples` installed from npm where it is not there yet. Needs `npm` on PATH and the
/// npm registry when something is missing.
pub fn provision(cache_dir: &Utf8Path, version: &str, triples: &[&str]) -> Result<Utf8PathBuf> {
    let dir = cache_dir.join("denort").join(version);
    let missing: Vec<(&str, NpmDistribution)> = triples
        .iter()
        .filter(|triple| !is_installed(&dir.join(triple)))
        .map(|&triple| {
            distribution(triple)
                .map(|d| (triple, d))
                .with_context(|| format!("deno publishes no npm package for {triple}"))
        })
        .collect::<Result<_>>()?;
    if missing.is_empty() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {dir}"))?;
    let stage_guard = tempfile::Builder::new()
        .prefix(".stage-")
        .tempdir_in(&dir)
        .with_context(|| format!("cannot create a staging directory in {dir}"))?;
    let stage = Utf8Path::from_path(stage_guard.path()).context("staging path is not UTF-8")?;
    let npm_prefix = stage.join("npm");
    let specs: Vec<String> = missing
        .iter()
        .map(|(_, d)| format!("{}@{version}", d.package))
        .collect();
    let listed = specs.join(" ");
    eprintln!("installing base runtimes from npm: {listed}");
    let sh = Shell::new()?;
    // --force: the packages declare another os/cpu than this machine's.
    let output = cmd!(
        sh,
        "npm install --prefix {npm_prefix} --no-save --no-package-lock --no-audit --no-fund --ignore-scripts --force --loglevel=error {specs...}"
    )
    .quiet()
    .ignore_status()
    .output()
    .context("cannot run npm: install Node.js with npm")?;
    if !output.status.success() {
        bail!(
            "`npm install {listed}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    for (triple, distribution) in missing {
        let package_dir = npm_prefix.join("node_modules").join(distribution.package);
        check_version(&package_dir, version)?;
        let staged = stage.join(triple);
        std::fs::create_dir(&staged)?;
        let binary = package_dir.join(distribution.binary);
        std::fs::rename(&binary, staged.join(distribution.binary))
            .with_context(|| format!("npm installed {} without {binary}", distribution.package))?;
        let final_dir = dir.join(triple);
        if std::fs::rename(&staged, &final_dir).is_err() && !is_installed(&final_dir) {
            bail!("cannot move the {triple} base runtime into {final_dir}");
        }
    }
    Ok(dir)
}

fn is_installed(target_dir: &Utf8Path) -> bool {
    target_dir
        .read_dir_utf8()
        .map(|entries| entries.flatten().filter(|e| e.path().is_file()).count() == 1)
        .unwrap_or(false)
}

fn check_version(package_dir: &Utf8Path, version: &str) -> Result<()> {
    let manifest = package_dir.join("package.json");
    let text =
        std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {manifest}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{manifest} is not JSON"))?;
    if json["version"] != version {
        bail!("{manifest} is version {}, not {version}", json["version"]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_release_target_has_a_package() {
        let packages: Vec<_> = [
            "x86_64-unknown-linux-gnu",
            "aarch64-unknown-linux-gnu",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc",
        ]
        .iter()
        .map(|t| distribution(t).unwrap())
        .map(|d| format!("{} {}", d.package, d.binary))
        .collect();
        assert_eq!(
            packages,
            [
                "@deno/linux-x64-glibc deno",
                "@deno/linux-arm64-glibc deno",
                "@deno/darwin-x64 deno",
                "@deno/darwin-arm64 deno",
                "@deno/win32-x64 deno.exe"
            ]
        );
        assert!(distribution("x86_64-unknown-freebsd").is_none());
    }
}
