//! The checks a workflow reports on a pull request: one per job, named as GitHub names
//! the job's check run (its `name:`, else its id).

use anyhow::{Result, bail};
use saphyr::{LoadableYamlNode, Yaml};

/// The check names of the workflow in `text`, in the order of its jobs.
///
/// Refused, because requiring its checks would block every pull request or name checks
/// that never report: a workflow that does not run on `pull_request`; a matrix job (one
/// check per combination); a job that calls a reusable workflow (`caller / callee`
/// checks); a name made of an expression.
pub fn required_checks(text: &str) -> Result<Vec<String>> {
    let documents = Yaml::load_from_str(text).map_err(|error| anyhow::anyhow!("{error}"))?;
    let Some(workflow) = documents.first().filter(|doc| doc.is_mapping()) else {
        bail!("it is not a workflow: no mapping at the top level");
    };
    if !runs_on_pull_requests(workflow) {
        bail!(
            "the workflow does not run on pull_request, so its checks would never report on \
             a pull request and every merge would wait for them"
        );
    }
    let Some(jobs) = workflow
        .as_mapping_get("jobs")
        .and_then(Yaml::as_mapping)
        .filter(|jobs| !jobs.is_empty())
    else {
        bail!("the workflow has no jobs");
    };
    let mut checks: Vec<String> = Vec::new();
    for (id, job) in jobs {
        let id = id.as_str().unwrap_or("?");
        let check = check_name(id, job)?;
        if !checks.contains(&check) {
            checks.push(check);
        }
    }
    Ok(checks)
}

fn runs_on_pull_requests(workflow: &Yaml) -> bool {
    let is_pull_request = |event: &str| matches!(event, "pull_request" | "pull_request_target");
    match workflow.as_mapping_get("on") {
        Some(on) if on.is_mapping() => on.as_mapping().is_some_and(|events| {
            events
                .keys()
                .any(|event| event.as_str().is_some_and(is_pull_request))
        }),
        Some(on) if on.is_sequence() => on.as_sequence().is_some_and(|events| {
            events
                .iter()
                .any(|event| event.as_str().is_some_and(is_pull_request))
        }),
        Some(on) => on.as_str().is_some_and(is_pull_request),
        None => false,
    }
}

fn check_name(id: &str, job: &Yaml) -> Result<String> {
    if job.as_mapping_get("uses").is_some() {
        bail!(
            "job `{id}` calls a reusable workflow: its checks are named `<caller> / <job>` \
             after the called workflow's jobs, which this file does not list"
        );
    }
    if job
        .as_mapping_get("strategy")
        .and_then(|strategy| strategy.as_mapping_get("matrix"))
        .is_some()
    {
        bail!(
            "job `{id}` runs a matrix: GitHub reports one check per combination, named \
             after its values, so no single name can be required; split it into jobs, or \
             require its checks by hand"
        );
    }
    let Some(name) = job.as_mapping_get("name") else {
        return Ok(id.to_owned());
    };
    let Some(name) = name.as_str() else {
        bail!("job `{id}` has a name that is not a string");
    };
    if name.contains("${{") {
        bail!("job `{id}` is named by an expression ({name}), known only when it runs");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_else_ids_in_job_order() {
        let workflow = "
name: CI
on:
  pull_request:
  push:
    branches: [main]
jobs:
  rust:
    name: Rust checks
    runs-on: ubuntu-24.04
    steps: [{ run: cargo test }]
  gate:
    runs-on: ubuntu-24.04
  coverage:
    name: 'Coverage'
    if: github.event_name == 'pull_request'
";
        assert_eq!(
            required_checks(workflow).unwrap(),
            ["Rust checks", "gate", "Coverage"]
        );
    }

    #[test]
    fn the_workspace_ci_workflow() {
        let text =
            std::fs::read_to_string(crate::context::repo_root().join(".github/workflows/ci.yml"))
                .unwrap();
        assert_eq!(
            required_checks(&text).unwrap(),
            ["Rust checks", "Quality gate", "Coverage"]
        );
    }

    #[test]
    fn trigger_forms() {
        for on in [
            "on: pull_request",
            "on: [push, pull_request]",
            "on: { pull_request_target: {} }",
        ] {
            let workflow = format!("{on}\njobs:\n  a:\n    runs-on: x\n");
            assert_eq!(required_checks(&workflow).unwrap(), ["a"], "{on}");
        }
        let error = required_checks("on: push\njobs:\n  a:\n    runs-on: x\n").unwrap_err();
        assert!(
            error.to_string().contains("does not run on pull_request"),
            "{error}"
        );
    }

    #[test]
    fn refused_jobs() {
        let refused = |job: &str| {
            let workflow = format!("on: pull_request\njobs:\n  build:\n{job}");
            required_checks(&workflow).unwrap_err().to_string()
        };
        let matrix = refused("    strategy:\n      matrix:\n        os: [a, b]\n");
        assert!(matrix.starts_with("job `build` runs a matrix"), "{matrix}");
        let reusable = refused("    uses: ./.github/workflows/build.yml\n");
        assert!(reusable.contains("calls a reusable workflow"), "{reusable}");
        let expression = refused("    name: build ${{ matrix.os }}\n");
        assert!(
            expression.contains("named by an expression"),
            "{expression}"
        );
        // A strategy without a matrix is only fail-fast or max-parallel.
        let workflow = "on: pull_request\njobs:\n  build:\n    strategy:\n      fail-fast: false\n";
        assert_eq!(required_checks(workflow).unwrap(), ["build"]);
    }

    #[test]
    fn not_a_workflow() {
        let error = required_checks("on: pull_request\n").unwrap_err();
        assert_eq!(error.to_string(), "the workflow has no jobs");
        let error = required_checks("- a\n- b\n").unwrap_err();
        assert!(error.to_string().contains("not a workflow"), "{error}");
        let error = required_checks("jobs: [unclosed\n").unwrap_err();
        assert!(error.to_string().contains("line"), "{error}");
    }
}
