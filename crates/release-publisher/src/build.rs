//! Running the planned compiles, several at once.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use deno_runner::{Completed, Deno};

use crate::checksums::SHA256SUMS;
use crate::plan::{ArtifactPlan, BuildPlan};

/// Progress of a build, as it happens.
#[derive(Debug)]
pub enum BuildEvent<'a> {
    /// deno started compiling this artifact.
    Started(&'a ArtifactPlan),
    /// deno finished (successfully or not).
    Finished(&'a ArtifactPlan, &'a Completed),
}

/// One compiled (or failed) artifact.
#[derive(Debug, Clone)]
pub struct Built {
    /// What was planned.
    pub artifact: ArtifactPlan,
    /// How deno ended.
    pub completed: Completed,
}

/// Runs the plan: first removes the artifacts and `SHA256SUMS` an earlier build left in
/// the output directory, so nothing stale survives a failed build; then the type check,
/// whose failure ends the build (an error with deno's output); then the compiles, at
/// most `jobs` at a time, each starting as soon as a slot frees. A failed compile does
/// not stop the others; results come back in plan order.
pub fn build(
    deno: &Deno,
    plan: &BuildPlan,
    jobs: usize,
    on_event: impl Fn(BuildEvent) + Sync,
) -> Result<Vec<Built>> {
    let out_dir = &plan.out_dir;
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {out_dir}"))?;
    for stale in plan
        .artifacts
        .iter()
        .map(|artifact| artifact.path.clone())
        .chain([out_dir.join(SHA256SUMS)])
    {
        match std::fs::remove_file(&stale) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("cannot remove the old {stale}"));
            }
            _ => {}
        }
    }

    let check = deno.run(&plan.check)?;
    if !check.success() {
        bail!(
            "`{}` failed in {}, so nothing was compiled:\n{}",
            plan.check,
            plan.check.cwd,
            check.output.trim()
        );
    }

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Completed>>>> =
        Mutex::new((0..plan.artifacts.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, plan.artifacts.len().max(1)) {
            scope.spawn(|| {
                while let Some(artifact) = plan.artifacts.get(next.fetch_add(1, Ordering::SeqCst)) {
                    on_event(BuildEvent::Started(artifact));
                    let result = deno.run(&artifact.invocation);
                    if let Ok(completed) = &result {
                        on_event(BuildEvent::Finished(artifact, completed));
                    }
                    let index = plan
                        .artifacts
                        .iter()
                        .position(|a| std::ptr::eq(a, artifact))
                        .expect("the artifact is in the plan");
                    results.lock().expect("no worker panicked")[index] = Some(result);
                }
            });
        }
    });
    let results = results.into_inner().expect("no worker panicked");
    plan.artifacts
        .iter()
        .zip(results)
        .map(|(artifact, result)| {
            let completed = result.expect("every artifact was compiled")?;
            Ok(Built {
                artifact: artifact.clone(),
                completed,
            })
        })
        .collect()
}
