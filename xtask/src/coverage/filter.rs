//! Which files count: `--include` / `--exclude`, else the `xtask.coverage` key of the
//! project's deno.json.
//!
//! deno.json's own `coverage` key is deno's (`coverage.thresholds`, and deno 2.9 refuses
//! any other field in it), so the patterns live under `xtask`, a key deno ignores:
//!
//! ```jsonc
//! "xtask": { "coverage": { "include": ["src/**"], "exclude": ["**/*_test.ts"] } }
//! ```
//!
//! Patterns in deno.json are relative to its directory; on the command line, to the
//! repository root, as diff-cover's.

use anyhow::{Result, bail};
use camino::Utf8Path;
use coverage_export::{FileFilter, Glob};
use deno_runner::DenoProject;
use serde_json::Value;

/// The settings `xtask.coverage` takes.
const SETTINGS: &str = "include and exclude, each a list of globs";

/// The flags' patterns where given, else those of `project`'s deno.json (each list on its
/// own: `--include` replaces the file's `include`, `--exclude` its `exclude`).
pub fn file_filter(
    include: &[Glob],
    exclude: &[Glob],
    project: Option<&DenoProject>,
    root: &Utf8Path,
) -> Result<FileFilter> {
    let from_config = match project {
        Some(project) if include.is_empty() || exclude.is_empty() => {
            let path = project.config_path();
            let text = std::fs::read_to_string(path)
                .map_err(|error| anyhow::anyhow!("cannot read {path}: {error}"))?;
            let prefix = project_prefix(project.dir(), root);
            from_config(&text, path, &prefix)?
        }
        _ => FileFilter::default(),
    };
    Ok(FileFilter {
        include: if include.is_empty() {
            from_config.include
        } else {
            include.to_vec()
        },
        exclude: if exclude.is_empty() {
            from_config.exclude
        } else {
            exclude.to_vec()
        },
    })
}

/// The project directory relative to the repository root (`examples/kato`), empty when it
/// is the root or lies outside it.
fn project_prefix(dir: &Utf8Path, root: &Utf8Path) -> String {
    let canonical = |path: &Utf8Path| path.canonicalize_utf8().unwrap_or_else(|_| path.into());
    canonical(dir)
        .strip_prefix(canonical(root))
        .map(|relative| relative.as_str().to_owned())
        .unwrap_or_default()
}

/// `path` as a glob that matches it alone: its wildcard characters in brackets.
fn escape(path: &str) -> String {
    path.chars()
        .map(|c| match c {
            '*' | '?' | '[' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

/// The patterns of `xtask.coverage` in deno.json(c) `text` (read from `path`), made
/// relative to the repository root by `prefix`.
fn from_config(text: &str, path: &Utf8Path, prefix: &str) -> Result<FileFilter> {
    let options = jsonc_parser::ParseOptions::default();
    // deno.json was parsed when the project was opened; a failure here is a race.
    let root: Option<Value> = jsonc_parser::parse_to_serde_value(text, &options)
        .map_err(|error| anyhow::anyhow!("{path}: {error}"))?;
    let Some(xtask) = root.as_ref().and_then(|root| root.get("xtask")) else {
        return Ok(FileFilter::default());
    };
    let Some(xtask) = xtask.as_object() else {
        bail!(
            "{path}: `xtask` must be an object, such as \"xtask\": {{ \"coverage\": {{ \"exclude\": [\"**/*_test.ts\"] }} }}"
        );
    };
    // The other keys of `xtask` (app, bin, release, ...) are checked where the project is
    // read.
    let Some(coverage) = xtask.get("coverage") else {
        return Ok(FileFilter::default());
    };
    let Some(coverage) = coverage.as_object() else {
        bail!("{path}: xtask.coverage must be an object with {SETTINGS}");
    };
    if let Some(key) = coverage
        .keys()
        .find(|key| !matches!(key.as_str(), "include" | "exclude"))
    {
        bail!("{path}: xtask.coverage.{key} is not a setting: the settings are {SETTINGS}");
    }
    let globs = |key: &str| -> Result<Vec<Glob>> {
        let Some(value) = coverage.get(key) else {
            return Ok(Vec::new());
        };
        let Some(list) = value.as_array() else {
            bail!(
                "{path}: xtask.coverage.{key} must be a list of globs, such as [\"src/**\"], not {value}"
            );
        };
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                let Some(text) = item.as_str() else {
                    bail!("{path}: xtask.coverage.{key}[{i}] must be a glob string, not {item}");
                };
                let glob: Glob = text
                    .parse()
                    .map_err(|why| anyhow::anyhow!("{path}: xtask.coverage.{key}[{i}]: {why}"))?;
                let relative = text.strip_prefix("./").unwrap_or(text);
                if prefix.is_empty() || relative.starts_with('/') {
                    return Ok(glob);
                }
                Ok(format!("{}/{relative}", escape(prefix))
                    .parse()
                    .expect("a glob stays one under a directory"))
            })
            .collect()
    };
    Ok(FileFilter {
        include: globs("include")?,
        exclude: globs("exclude")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, prefix: &str) -> Result<FileFilter, String> {
        from_config(text, Utf8Path::new("deno.json"), prefix).map_err(|e| e.to_string())
    }

    fn patterns(globs: &[Glob]) -> Vec<&str> {
        globs.iter().map(Glob::as_str).collect()
    }

    #[test]
    fn patterns_of_deno_json_are_relative_to_the_project() {
        let text = r#"{
  // comments and trailing commas, as deno allows
  "name": "@kato/kato",
  "xtask": { "coverage": { "include": ["src/**", "./main.ts", "/abs/*.ts"], "exclude": ["*_test.ts",], }, },
}"#;
        let filter = read(text, "examples/kato").unwrap();
        assert_eq!(
            patterns(&filter.include),
            ["examples/kato/src/**", "examples/kato/main.ts", "/abs/*.ts"]
        );
        assert_eq!(patterns(&filter.exclude), ["examples/kato/*_test.ts"]);
        let odd = read(text, "odd [dir]*").unwrap();
        assert_eq!(patterns(&odd.exclude), ["odd [[]dir][*]/*_test.ts"]);
        assert!(odd.exclude[0].matches_name("odd [dir]*/src/a_test.ts", Utf8Path::new("/r")));
        let at_root = read(text, "").unwrap();
        assert_eq!(patterns(&at_root.exclude), ["*_test.ts"]);
        assert!(read(r#"{"name": "x"}"#, "").unwrap().is_empty());
        assert!(read(r#"{"xtask": {}}"#, "").unwrap().is_empty());
        // The other tasks' keys are theirs (a misspelt key is refused where deno.json is
        // read: deno_runner::DenoConfig).
        assert!(
            read(r#"{"xtask": {"app": "apps/daemon"}}"#, "")
                .unwrap()
                .is_empty()
        );
        assert!(deno_runner::DenoConfig::parse(r#"{"xtask": {"coverge": {}}}"#).is_err());
    }

    #[test]
    fn bad_settings_are_named_with_the_file_and_key() {
        for (text, message) in [
            (r#"{"xtask": []}"#, "deno.json: `xtask` must be an object"),
            (
                r#"{"xtask": {"coverage": "src"}}"#,
                "deno.json: xtask.coverage must be an object with include and exclude",
            ),
            (
                r#"{"xtask": {"coverage": {"includes": []}}}"#,
                "deno.json: xtask.coverage.includes is not a setting: the settings are include and exclude",
            ),
            (
                r#"{"xtask": {"coverage": {"include": "src/**"}}}"#,
                "deno.json: xtask.coverage.include must be a list of globs, such as [\"src/**\"], not \"src/**\"",
            ),
            (
                r#"{"xtask": {"coverage": {"exclude": ["a", 1]}}}"#,
                "deno.json: xtask.coverage.exclude[1] must be a glob string, not 1",
            ),
            (
                r#"{"xtask": {"coverage": {"exclude": ["a", "src/[x"]}}}"#,
                "deno.json: xtask.coverage.exclude[1]: \"src/[x\" is not a glob: the `[` at character 5 has no `]`",
            ),
        ] {
            let error = read(text, "").unwrap_err();
            assert!(error.starts_with(message), "{text}: {error}");
        }
    }
}
