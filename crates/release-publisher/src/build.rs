//! Running the planned compiles, several at once.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{Context, Result};
use atomic_write::{PendingFile, StagingDir};
use deno_runner::{Completed, Deno};

use crate::checksums::SHA256SUMS;
use crate::plan::{ArtifactPlan, BuildPlan};
use crate::target::BinaryFormat;

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
/// the output directory, so nothing stale survives a failed build; then the type check
/// and the compiles (`--no-check`), `jobs` at a time, each starting as soon as a slot
/// frees. The check goes first and the compiles start beside it: it needs a core for
/// about a second on a cold cache, while a compile mostly copies a hundred megabytes.
/// With one job everything runs one after another. A failed check ends the build with an
/// error that holds deno's output, and removes what was compiled beside it. A failed
/// compile does not stop the others; results come back in plan order.
///
/// deno writes each artifact into the plan's staging directory
/// ([`ArtifactPlan::partial`]), renamed to the artifact's name once that compile
/// succeeded; a failed compile's file is removed, and so is the staging directory at the
/// end. On SIGINT/SIGTERM (crates/interrupt) the compiles and the check are stopped, and
/// the staging directory and every artifact of the plan, finished or not, are removed.
pub fn build(
    deno: &Deno,
    plan: &BuildPlan,
    jobs: usize,
    on_event: impl Fn(BuildEvent) + Sync,
) -> Result<Vec<Built>> {
    let out_dir = &plan.out_dir;
    let _unaudited = plan
        .artifacts
        .iter()
        .map(|artifact| interrupt::remove_on_stop(&artifact.path))
        .collect::<std::io::Result<Vec<_>>>()
        .context("the build was not started")?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {out_dir}"))?;
    remove_artifacts(plan)?;
    let _staging = StagingDir::create(&plan.staging)
        .with_context(|| format!("cannot create {}", plan.staging))?;
    let (check, built) = run_queue(deno, plan, jobs, &on_event);
    if let Err(error) = check.and_then(|check| type_check(plan, check)) {
        remove_artifacts(plan)?;
        return Err(error);
    }
    built
}

fn remove_artifacts(plan: &BuildPlan) -> Result<()> {
    for stale in plan
        .artifacts
        .iter()
        .map(|artifact| artifact.path.clone())
        .chain([plan.out_dir.join(SHA256SUMS)])
    {
        match std::fs::remove_file(&stale) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("cannot remove the old {stale}"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The project does not type-check, so the build made nothing.
#[derive(Debug, thiserror::Error)]
#[error("`{command}` failed in {dir}, so nothing was built:\n{output}")]
pub struct TypeCheckFailed {
    /// The check's command line.
    pub command: String,
    /// Where it ran.
    pub dir: String,
    /// What deno said.
    pub output: String,
}

fn type_check(plan: &BuildPlan, check: Completed) -> Result<()> {
    if !check.success() {
        return Err(TypeCheckFailed {
            command: plan.check.to_string(),
            dir: plan.check.cwd.to_string(),
            output: check.output.trim().to_owned(),
        }
        .into());
    }
    Ok(())
}

/// The check, then the compiles longest first, on `jobs` workers; no compile starts
/// after the check has failed.
fn run_queue(
    deno: &Deno,
    plan: &BuildPlan,
    jobs: usize,
    on_event: &(impl Fn(BuildEvent) + Sync),
) -> (Result<Completed>, Result<Vec<Built>>) {
    // deno code-signs Mach-O artifacts (about 0.7 s here, against 0.2-0.4 s for ELF and
    // PE, which are only copied): those go first, so that the last round is short.
    let mut compiles: Vec<usize> = (0..plan.artifacts.len()).collect();
    compiles.sort_by_key(|&i| {
        !matches!(
            plan.artifacts[i].target.format,
            BinaryFormat::MachOArm64 | BinaryFormat::MachOX86_64
        )
    });
    let queue: Vec<Option<usize>> = std::iter::once(None)
        .chain(compiles.into_iter().map(Some))
        .collect();
    let next = AtomicUsize::new(0);
    let check_failed = AtomicBool::new(false);
    let check: Mutex<Option<Result<Completed>>> = Mutex::new(None);
    let results: Mutex<Vec<Option<Result<Completed>>>> =
        Mutex::new((0..plan.artifacts.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, queue.len()) {
            scope.spawn(|| {
                while let Some(&task) = queue.get(next.fetch_add(1, Ordering::SeqCst)) {
                    if check_failed.load(Ordering::SeqCst) || interrupt::stopping() {
                        break;
                    }
                    let Some(index) = task else {
                        let completed = deno.run(&plan.check);
                        if !completed.as_ref().is_ok_and(Completed::success) {
                            check_failed.store(true, Ordering::SeqCst);
                        }
                        *check.lock().expect("no worker panicked") = Some(completed);
                        continue;
                    };
                    let artifact = &plan.artifacts[index];
                    on_event(BuildEvent::Started(artifact));
                    let result = compile(deno, artifact);
                    if let Ok(completed) = &result {
                        on_event(BuildEvent::Finished(artifact, completed));
                    }
                    results.lock().expect("no worker panicked")[index] = Some(result);
                }
            });
        }
    });
    let check = check
        .into_inner()
        .expect("no worker panicked")
        .expect("the check ran first");
    let results = results.into_inner().expect("no worker panicked");
    let built = plan
        .artifacts
        .iter()
        .zip(results)
        .filter_map(|(artifact, result)| {
            // Compiles skipped after a failed check have no result; the check's error wins.
            let completed = result?;
            Some(completed.map(|completed| Built {
                artifact: artifact.clone(),
                completed,
            }))
        })
        .collect();
    (check, built)
}

/// deno compile into the artifact's temporary name, renamed to the artifact's name when
/// deno succeeded, removed otherwise.
fn compile(deno: &Deno, artifact: &ArtifactPlan) -> Result<Completed> {
    let pending = PendingFile::at(artifact.partial.clone(), artifact.path.clone())
        .with_context(|| format!("{} was not compiled", artifact.name))?;
    let completed = deno.run(&artifact.invocation)?;
    if completed.success() {
        pending.commit().with_context(|| {
            format!(
                "cannot put {} in place as {}",
                artifact.partial, artifact.path
            )
        })?;
    }
    Ok(completed)
}
