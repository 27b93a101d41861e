//! What a build compiles: one `deno compile` invocation per target.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use camino::{Utf8Path, Utf8PathBuf};
use deno_runner::{App, CompileOptions, Invocation};

use crate::policy::ReleasePolicy;
use crate::target::Target;

/// How to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The binary's name, the artifacts' prefix: `kato`.
    pub bin: String,
    /// Where the artifacts go.
    pub out_dir: Utf8PathBuf,
    /// The targets to build.
    pub targets: Vec<&'static Target>,
    /// A local base runtime per target triple, passed to deno as `DENORT_BIN`; targets
    /// without one have deno download it.
    pub base_runtimes: BTreeMap<String, Utf8PathBuf>,
}

/// One artifact to build.
#[derive(Debug, Clone)]
pub struct ArtifactPlan {
    /// Its target.
    pub target: &'static Target,
    /// Its file name: `kato-linux-x86_64`.
    pub name: String,
    /// Its path in the output directory.
    pub path: Utf8PathBuf,
    /// Where deno writes it: the same name in the plan's staging directory; renamed to
    /// `path` once the compile succeeded, so that no partial artifact ever carries the
    /// artifact's name.
    pub partial: Utf8PathBuf,
    /// The `deno compile` that makes it, writing to `partial`.
    pub invocation: Invocation,
}

/// Every artifact of a build.
#[derive(Debug, Clone)]
pub struct BuildPlan {
    /// The output directory.
    pub out_dir: Utf8PathBuf,
    /// A hidden directory in it, `.build.<pid>-<n>-<random>.partial`, that deno compiles
    /// into (deno leaves its own temporary files there when it is stopped); the build
    /// creates it and removes it when done.
    pub staging: Utf8PathBuf,
    /// The type check, run once before the compiles: each `deno compile` would
    /// otherwise type-check the same modules again, and compiles started together would
    /// each do it in full.
    pub check: Invocation,
    /// The artifacts, in target order.
    pub artifacts: Vec<ArtifactPlan>,
}

impl BuildPlan {
    /// The GitHub Actions matrix of the plan, as `strategy.matrix: ${{ fromJSON(...) }}`
    /// reads it: one `include` entry per artifact with its target, name and runner.
    pub fn matrix(&self) -> serde_json::Value {
        let include: Vec<serde_json::Value> = self
            .artifacts
            .iter()
            .map(|artifact| {
                serde_json::json!({
                    "target": artifact.target.triple,
                    "artifact": artifact.name,
                    "runner": artifact.target.runner,
                })
            })
            .collect();
        serde_json::json!({ "include": include })
    }
}

/// Plans `deno check` of the app, then `deno compile --no-check` of its entry module
/// (`xtask.entry`, else the root of `exports`) for each target, with the policy's flags,
/// both in the app's directory (`--frozen` where the project has a lockfile).
pub fn plan_build(app: &App, policy: &ReleasePolicy, options: &BuildOptions) -> Result<BuildPlan> {
    let entry = app.entry().with_context(|| {
        format!(
            "{} names no module to compile: set \"exports\": \"./main.ts\", or \"xtask\": \
             {{ \"entry\": \"./src/main.ts\" }}",
            app.config_path()
        )
    })?;
    let frozen = app.lockfile().is_some();
    let staging = atomic_write::pending_path(&options.out_dir.join("build"))
        .with_context(|| format!("cannot name a staging directory in {}", options.out_dir))?;
    let artifacts = options
        .targets
        .iter()
        .map(|&target| {
            let name = target.artifact_name(&options.bin);
            let path = options.out_dir.join(&name);
            let partial = staging.join(&name);
            let invocation = Invocation::compile(
                app.dir(),
                &CompileOptions {
                    target: target.triple.to_owned(),
                    output: partial.clone(),
                    permission_flags: policy.compile_flags(),
                    entry: entry.clone(),
                    frozen,
                    denort_bin: options.base_runtimes.get(target.triple).cloned(),
                    no_check: true,
                },
            );
            ArtifactPlan {
                target,
                name,
                path,
                partial,
                invocation,
            }
        })
        .collect();
    Ok(BuildPlan {
        out_dir: options.out_dir.clone(),
        staging,
        check: Invocation::check(app.dir(), frozen),
        artifacts,
    })
}

/// The base runtime of each of `targets` in a directory of base runtimes (see
/// [`base_runtime`]), by target triple.
pub fn base_runtimes(
    dir: &Utf8Path,
    targets: &[&'static Target],
) -> Result<BTreeMap<String, Utf8PathBuf>> {
    targets
        .iter()
        .map(|t| Ok((t.triple.to_owned(), base_runtime(dir, t.triple)?)))
        .collect()
}

/// The base runtime for `triple` in a directory of base runtimes: `dir/<triple>/` holds
/// it as its one file, whatever its name.
pub fn base_runtime(dir: &Utf8Path, triple: &str) -> Result<Utf8PathBuf> {
    let target_dir = dir.join(triple);
    let entries = target_dir.read_dir_utf8().with_context(|| {
        format!("cannot read {target_dir}: --denort-dir must hold a directory per target triple")
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {target_dir}"))?;
        if entry.file_type()?.is_file() || entry.path().is_file() {
            files.push(entry.into_path());
        }
    }
    match files.len() {
        1 => Ok(files.pop().expect("one file")),
        0 => bail!("{target_dir} holds no file: put the {triple} base runtime (denort) there"),
        n => bail!(
            "{target_dir} holds {n} files: it must hold the {triple} base runtime (denort) alone"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TARGETS;

    #[test]
    fn one_compile_per_target_with_the_policy_flags() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::write(dir.join("deno.json"), r#"{"exports": "./main.ts"}"#).unwrap();
        let project = App::open(deno_runner::DenoProject::open(dir).unwrap(), None).unwrap();
        let policy = ReleasePolicy {
            source: "permissions.default".into(),
            grants: [(
                crate::Kind::Read,
                crate::Grant::Values(vec!["/etc/kato".to_owned()]),
            )]
            .into(),
        };
        let options = BuildOptions {
            bin: "kato".into(),
            out_dir: "/out".into(),
            targets: TARGETS.iter().collect(),
            base_runtimes: [("x86_64-pc-windows-msvc".to_owned(), "/rt/deno.exe".into())].into(),
        };
        let plan = plan_build(&project, &policy, &options).unwrap();
        assert_eq!(plan.check.to_string(), "deno check --frozen");
        assert_eq!(plan.artifacts.len(), 5);
        let windows = &plan.artifacts[4];
        assert_eq!(windows.path, "/out/kato-windows-x86_64.exe");
        // deno writes into a hidden staging directory of the output directory.
        let staging = plan.staging.as_str();
        assert!(staging.starts_with("/out/.build."), "{staging}");
        assert!(staging.ends_with(".partial"), "{staging}");
        assert_eq!(
            windows.partial,
            plan.staging.join("kato-windows-x86_64.exe")
        );
        let partial = windows.partial.as_str();
        assert_eq!(
            windows.invocation.argv(),
            [
                "compile",
                "--frozen",
                "--target=x86_64-pc-windows-msvc",
                &format!("--output={partial}"),
                "--no-check",
                "--no-prompt",
                "--allow-read=/etc/kato",
                "./main.ts"
            ]
        );
        assert_eq!(windows.invocation.env["DENORT_BIN"], "/rt/deno.exe");
        let matrix = plan.matrix();
        assert_eq!(matrix["include"].as_array().unwrap().len(), 5);
        assert_eq!(
            matrix["include"][4],
            serde_json::json!({
                "target": "x86_64-pc-windows-msvc",
                "artifact": "kato-windows-x86_64.exe",
                "runner": "windows-2025"
            })
        );
        assert!(!plan.artifacts[0].invocation.env.contains_key("DENORT_BIN"));
    }

    #[test]
    fn base_runtimes_are_the_one_file_of_each_target_directory() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let triple = "aarch64-apple-darwin";
        let error = base_runtime(dir, triple).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("cannot read {dir}/{triple}")),
            "{error}"
        );
        std::fs::create_dir(dir.join(triple)).unwrap();
        let error = base_runtime(dir, triple).unwrap_err().to_string();
        assert!(error.contains("holds no file"), "{error}");
        std::fs::write(dir.join(triple).join("denort"), "").unwrap();
        assert_eq!(
            base_runtime(dir, triple).unwrap(),
            dir.join(triple).join("denort")
        );
        std::fs::write(dir.join(triple).join("other"), "").unwrap();
        let error = base_runtime(dir, triple).unwrap_err().to_string();
        assert!(error.contains("holds 2 files"), "{error}");
    }
}
