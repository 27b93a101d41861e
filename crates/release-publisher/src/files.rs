//! The release's local files: the artifacts found in a directory (where
//! actions/download-artifact puts each in a directory of its own), then the installers
//! and `SHA256SUMS` written beside them.

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};

use crate::checksums::{SHA256SUMS, sha256_file, write_sha256sums};
use crate::installers::{INSTALL_PS1, INSTALL_SH, InstallerPlan, install_ps1, install_sh};

/// A file to publish, with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAsset {
    /// The asset's name on the release (the file name).
    pub name: String,
    /// The file.
    pub path: Utf8PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// The files named `names` in `dir` or below it (three levels at most), each exactly
/// once, with their SHA-256. Every missing or repeated name is listed in the error.
pub fn find_artifacts(dir: &Utf8Path, names: &[String]) -> Result<Vec<LocalAsset>> {
    if !dir.is_dir() {
        bail!("{dir} is not a directory: name the directory holding the artifacts");
    }
    let mut found: Vec<(&String, Vec<Utf8PathBuf>)> =
        names.iter().map(|name| (name, Vec::new())).collect();
    walk(dir, 0, &mut |path| {
        if let Some((_, paths)) = found
            .iter_mut()
            .find(|(name, _)| Some(name.as_str()) == path.file_name())
        {
            paths.push(path.to_owned());
        }
    })?;
    let mut problems = Vec::new();
    for (name, paths) in &found {
        match paths.as_slice() {
            [] => problems.push(format!("{name} is missing")),
            [_] => {}
            many => problems.push(format!(
                "{name} is there {} times: {}",
                many.len(),
                many.iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    if !problems.is_empty() {
        bail!(
            "{dir} does not hold the artifacts to publish (nothing was published):\n  - {}",
            problems.join("\n  - ")
        );
    }
    found
        .into_iter()
        .map(|(name, paths)| {
            let path = paths.into_iter().next().expect("one path each");
            local_asset(name, path)
        })
        .collect()
}

/// The artifacts, then `install.sh` and `install.ps1` (when there is a Windows binary)
/// made from `installers`, then `SHA256SUMS` of all of them, written into `dir`
/// atomically: every file of the release, in upload order.
pub fn release_files(
    dir: &Utf8Path,
    artifacts: Vec<LocalAsset>,
    installers: &InstallerPlan,
) -> Result<Vec<LocalAsset>> {
    let mut files = artifacts;
    let scripts = [
        (INSTALL_SH, Some(install_sh(installers))),
        (INSTALL_PS1, install_ps1(installers)),
    ];
    for (name, script) in scripts {
        let Some(script) = script else { continue };
        let path = dir.join(name);
        atomic_write::write(&path, script.as_bytes())
            .with_context(|| format!("cannot write {path}"))?;
        files.push(local_asset(name, path)?);
    }
    let sums: Vec<(String, String)> = files
        .iter()
        .map(|file| (file.name.clone(), file.sha256.clone()))
        .collect();
    let path =
        write_sha256sums(dir, &sums).with_context(|| format!("cannot write {dir}/{SHA256SUMS}"))?;
    files.push(local_asset(SHA256SUMS, path)?);
    Ok(files)
}

fn local_asset(name: &str, path: Utf8PathBuf) -> Result<LocalAsset> {
    let (sha256, size) = sha256_file(&path).with_context(|| format!("cannot read {path}"))?;
    Ok(LocalAsset {
        name: name.to_owned(),
        path,
        size,
        sha256,
    })
}

fn walk(dir: &Utf8Path, depth: usize, visit: &mut dyn FnMut(&Utf8Path)) -> Result<()> {
    let entries = dir
        .read_dir_utf8()
        .with_context(|| format!("cannot read {dir}"))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {dir}"))?;
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", entry.path()))?;
        if kind.is_dir() && depth < 3 {
            walk(entry.path(), depth + 1, visit)?;
        } else if kind.is_file() {
            visit(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TARGETS;

    #[test]
    fn the_installers_and_sha256sums_follow_the_artifacts() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::create_dir(dir.join("job-1")).unwrap();
        std::fs::write(dir.join("job-1/kato-linux-x86_64"), "elf").unwrap();
        std::fs::write(dir.join("kato-windows-x86_64.exe"), "pe").unwrap();
        let names = [
            "kato-linux-x86_64".to_owned(),
            "kato-windows-x86_64.exe".to_owned(),
        ];
        let artifacts = find_artifacts(dir, &names).unwrap();
        let plan = InstallerPlan {
            bin: "kato".into(),
            version: "0.1.0".into(),
            download_url: "https://github.com/acme/kato/releases/download/v0.1.0".into(),
            targets: vec![&TARGETS[0], &TARGETS[4]],
        };
        let files = release_files(dir, artifacts, &plan).unwrap();
        let order: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            order,
            [
                "kato-linux-x86_64",
                "kato-windows-x86_64.exe",
                "install.sh",
                "install.ps1",
                "SHA256SUMS"
            ]
        );
        let sums = std::fs::read_to_string(dir.join(SHA256SUMS)).unwrap();
        assert_eq!(sums.lines().count(), 4);
        assert!(sums.contains("  install.sh\n"), "{sums}");

        let missing = find_artifacts(dir, &["kato-darwin-arm64".to_owned()]).unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("- kato-darwin-arm64 is missing")
        );
    }

    /// `DIR/SHA256SUMS` linking outside DIR is replaced by the file; the link's target
    /// stays as it was.
    #[cfg(unix)]
    #[test]
    fn sha256sums_replaces_a_symlink_and_leaves_its_target_alone() {
        let temp = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(temp.path()).unwrap();
        let dir = root.join("dist");
        std::fs::create_dir(&dir).unwrap();
        let names: Vec<String> = TARGETS.iter().map(|t| t.artifact_name("kato")).collect();
        for (target, name) in TARGETS.iter().zip(&names) {
            std::fs::write(dir.join(name), target.triple).unwrap();
        }
        let outside = root.join("precious");
        std::fs::write(&outside, "precious\n").unwrap();
        std::os::unix::fs::symlink(&outside, dir.join(SHA256SUMS)).unwrap();
        let plan = InstallerPlan {
            bin: "kato".into(),
            version: "0.1.0".into(),
            download_url: "https://github.com/acme/kato/releases/download/v0.1.0".into(),
            targets: TARGETS.iter().collect(),
        };

        let assets = release_files(&dir, find_artifacts(&dir, &names).unwrap(), &plan).unwrap();

        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious\n");
        let sums_path = dir.join(SHA256SUMS);
        assert!(std::fs::symlink_metadata(&sums_path).unwrap().is_file());
        let sums = std::fs::read_to_string(&sums_path).unwrap();
        assert_eq!(sums.lines().count(), 7, "{sums}");
        let last = assets.last().unwrap();
        assert_eq!((last.name.as_str(), &last.path), (SHA256SUMS, &sums_path));
        assert_eq!(last.sha256, crate::sha256_hex(sums.as_bytes()));
        let mut names: Vec<String> = dir
            .read_dir_utf8()
            .unwrap()
            .map(|e| e.unwrap().file_name().to_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 8, "no temporary file is left: {names:?}");
    }
}
